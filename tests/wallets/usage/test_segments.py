import pytest

from wallets.usage.segments import call_minutes, sms_measure, word_count


@pytest.mark.parametrize(("length", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2),
                                                  (307, 3), (459, 3), (460, 4)])
def test_gsm7_single_is_160_and_parts_are_153(length, segments):
    measure = sms_measure("a" * length)
    assert (measure.encoding, measure.units, measure.segments) == ("GSM-7", length, segments)


def test_gsm7_accented_letters_of_the_basic_table_stay_gsm7():
    assert sms_measure("Ça coûte 5€ à Zürich").encoding == "UCS-2"  # û is not GSM-7
    assert sms_measure("Ça va à Zürich, ñ é ü").encoding == "GSM-7"


def test_extension_characters_take_two_septets():
    measure = sms_measure("{" * 80)
    assert (measure.encoding, measure.units, measure.segments) == ("GSM-7", 160, 1)
    assert sms_measure("€" * 80 + "a").segments == 2


def test_extension_character_is_never_split_across_a_segment_boundary():
    # 152 septets, then "€" (2 septets) would straddle the 153-septet boundary: it opens
    # part 2, which the 152 "b" then overflow into a third part.
    body = "a" * 152 + "€" + "b" * 152
    measure = sms_measure(body)
    assert measure.units == 306  # would fit exactly two parts of 153 if it could be split
    assert measure.segments == 3


def test_ucs2_when_any_character_is_outside_gsm7():
    assert sms_measure("Привет").encoding == "UCS-2"
    assert sms_measure("ж" * 70).segments == 1
    assert sms_measure("ж" * 71).segments == 2
    assert sms_measure("ж" * 134).segments == 2
    assert sms_measure("ж" * 135).segments == 3


def test_emoji_counts_two_code_units_and_is_never_split_at_a_boundary():
    single = sms_measure("😀" * 35)
    assert (single.encoding, single.units, single.segments) == ("UCS-2", 70, 1)
    # 66 units then an emoji: the pair cannot straddle unit 67, so it opens part 2, and the
    # 67 further units fill part 2 to 69 > 67: a third part.
    body = "ж" * 66 + "😀" + "ж" * 66
    measure = sms_measure(body)
    assert measure.units == 134  # exactly two parts of 67 if a pair could be split
    assert measure.segments == 3


def test_empty_body_is_one_segment():
    assert sms_measure("").segments == 1


@pytest.mark.parametrize(("seconds", "minutes"), [(0, 0), (1, 1), (60, 1), (61, 2), (3600, 60)])
def test_calls_round_up_to_whole_minutes(seconds, minutes):
    assert call_minutes(seconds) == minutes


def test_words_are_separated_by_whitespace():
    assert word_count("  Hello,\nworld  again\t") == 3
    assert word_count("") == 0
