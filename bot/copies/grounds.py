"""Why something was withheld, in words a family can read: one sentence per ground of the Privacy Act 2020
(ss 49-53). The section stays with it so anyone can look it up."""

from __future__ import annotations

from bot.language.i18n import Text, _
from protocol.grounds import WITHHOLDING_GROUNDS

PLAIN_GROUNDS: dict[str, Text] = {
    "safety": _("Giving it out could put someone's life, health or safety at serious risk."),
    "harassment": _("Giving it out could lead to serious harassment of someone."),
    "distress_to_victim": _("It is about someone who was hurt by a crime, and giving it out could cause them "
                            "great distress."),
    "requester_health": _("It is about your health, and a health worker thinks reading it now could harm you."),
    "under_16_interests": _("It is about someone under 16, and giving it out would not be good for them."),
    "custody_or_rehabilitation": _("Giving it out could harm the safe keeping of someone in prison or on a "
                                   "sentence, or how they are helped to change."),
    "evaluative_material": _("It is an opinion, such as a reference, that someone gave on the promise that it "
                             "would stay private."),
    "security_defence_international": _("Giving it out could harm New Zealand's security or how it deals with "
                                         "other countries."),
    "trade_secret": _("Giving it out would reveal a trade secret or unfairly harm a business."),
    "does_not_exist": _("The information does not exist, or could not be found after a proper search."),
    "another_persons_affairs": _("It is mostly about another person, and giving it out would not be fair to "
                                 "them."),
    "maintenance_of_law": _("Giving it out could get in the way of preventing or solving crime, or of a fair "
                            "trial."),
    "legal_privilege": _("It is legal advice that the law keeps private."),
    "library_museum_archive": _("It was given to a library, museum or archive on terms that keep it closed."),
    "contempt": _("Giving it out would go against an order of a court or of Parliament."),
    "criminal_disclosure": _("It is for a criminal case, and there is a separate law for asking for it."),
    "frivolous_or_vexatious": _("The request was not made in good faith, or the information is trivial."),
}

assert set(PLAIN_GROUNDS) == set(WITHHOLDING_GROUNDS), "every statutory ground needs a plain sentence"


def section(ground: str) -> str:
    return WITHHOLDING_GROUNDS[ground].section
