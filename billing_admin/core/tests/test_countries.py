import pytest

from billing_admin.core.countries import address_in_language


@pytest.mark.parametrize(("address", "language", "printed"), [
    ("Singel 250\n1016 AB Amsterdam\nNetherlands", "nl", "Singel 250\n1016 AB Amsterdam\nNederland"),
    ("Singel 250\n1016 AB Amsterdam\nNederland", "en", "Singel 250\n1016 AB Amsterdam\nNetherlands"),
    ("1-1 Marunouchi\nTokyo 100-0005\nUNITED KINGDOM\n", "nl", "1-1 Marunouchi\nTokyo 100-0005\nVerenigd Koninkrijk"),
    ("Rue Neuve 1\n1000 Brussel\nBelgium", "nl", "Rue Neuve 1\n1000 Brussel\nBelgië"),
    ("Kanaalweg 4\n2628 EB Delft", "nl", "Kanaalweg 4\n2628 EB Delft"),  # no country line: as typed
    ("Main St 1\nUSA", "en", "Main St 1\nUSA"),  # English already
    ("", "nl", ""),
])
def test_the_last_line_naming_a_country_is_printed_in_the_documents_language(address, language, printed):
    assert address_in_language(address, language) == printed
