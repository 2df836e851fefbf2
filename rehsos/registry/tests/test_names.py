import pytest
from hypothesis import given
from hypothesis import strategies as st

from rehsos.registry import names


@pytest.mark.parametrize(
    ("written", "same_as"),
    [
        ("Moch. Soekarno", "Muhammad Sukarno"),
        ("Mohamad Sukarno", "Muhamad Sukarno"),
        ("H. Djoko Tjahjono, S.Kom", "Joko Cahyono"),
        ("Sitti Noerhalizah", "Siti Nurhaliza"),
        ("Noor Aini", "Nur Aini"),
        ("Jahja", "Yahya"),
        ("Ibu Dra. Suharti", "Suharti"),
    ],
)
def test_spelling_variants_share_a_phonetic_key(written, same_as):
    assert names.phonetic(written) == names.phonetic(same_as)


def test_titles_and_honorifics_are_dropped():
    assert names.normalise("Bapak H. Ahmad Fauzi, S.Pd., M.Pd.") == "ahmad fauzi"


def test_a_name_of_only_a_title_word_is_kept():
    assert names.normalise("Bapak") == "bapak"


def test_old_spelling_is_modernised_in_the_key():
    assert names.key("Soeharto Djojo") == "suharto jojo"


def test_different_names_stay_apart():
    assert names.phonetic("Agus Salim") != names.phonetic("Budi Santoso")


@given(st.text(max_size=60))
def test_any_text_is_handled(text):
    assert isinstance(names.phonetic(text), str)
    assert names.key(text) == names.key(names.normalise(text))
