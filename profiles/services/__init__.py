"""Writes for the profiles app. A package because roles, profiles and payment methods each
carry enough rules to fill a module of their own; import from the submodules."""
