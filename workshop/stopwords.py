"""Stop words for the frequent words, beyond the stopwords-iso Polish list that words.py loads.

Two kinds. ``ENGLISH`` are forms, dropped as typed: stopwords-iso's English list also
drops "help", "value", "work", "kind", "open" and "together", the very words a clinic's
values workshop is about, so English keeps this shorter list. ``LEMMAS`` are dictionary
forms, dropped in every inflection: pronouns and determiners whose forms the Polish list
leaves out ("naszymi", "swoich", "całej"), and the light verbs (być, mieć, czuć, znać,
dawać, móc…; be, have, feel, know, give…) that say nothing on a word cloud by themselves.
"""

ENGLISH = """
    a about above after again against all also always am among an and any are aren't as at be
    because been before being below between both but by can can't cannot could couldn't did
    didn't do does doesn't doing don't down during each even every few for from further get
    gets got had hadn't has hasn't have haven't having he he's her here hers herself him
    himself his how i i'm i've if in into is isn't it it's its itself just let's many me more
    most much must my myself no nor not now of off on once only or other others our ours
    ourselves out over own same she should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they're they've this those through
    to too under until up upon us very via was wasn't we we'd we'll we're we've were weren't
    what what's when where which while who who's whom whose why will with within without
    won't would wouldn't you you're you've your yours yourself yourselves
    dont doesnt didnt isnt arent cant couldnt wouldnt shouldnt youre theyre weve ive im
    may might let
"""

LEMMAS = """
    być mieć czuć znać dawać dać móc chcieć musieć wiedzieć robić
    ja ty on my wy siebie się nasz swój mój twój wasz który każdy wszystek cały ten taki jaki
    sam inny jeden żaden ktoś coś nikt nic
    be have feel know give make get do
"""
