"""Views of the profiles app, one module per area of the profile page."""
