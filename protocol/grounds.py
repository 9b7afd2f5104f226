"""The grounds of the Privacy Act 2020 that both organisations use, defined here once: for withholding
information (ss 49-53) and for extending the time limit (s 48 for access, s 65 for corrections). The message
contract (protocol.messages), the deadline rules (protocol.deadlines), both desks and the family's copies all
read them from here.

Both desks say a ground the same way: the section, then what it means. For example, 'another_persons_affairs'
reads "s 53(b): Releasing it would be an unwarranted disclosure of the affairs of another person, living or dead."
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# ---- Withholding information (ss 49-53) ----

@dataclass(frozen=True)
class Ground:
    section: str
    description: str
    # s 47: only on these grounds may an agency neither confirm nor deny that it holds the information.
    neither_confirm_nor_deny: bool = False


WITHHOLDING_GROUNDS: dict[str, Ground] = {
    "safety": Ground("s 49(1)(a)(i)", "Releasing it would be likely to pose a serious threat to someone's "
                     "life, health or safety, or to public health or safety.", True),
    "harassment": Ground("s 49(1)(a)(ii)", "Releasing it would make serious harassment of someone "
                         "significantly likely."),
    "distress_to_victim": Ground("s 49(1)(a)(iii)", "It is about the victim of an offence, or alleged "
                                 "offence, whom its release would cause significant distress, loss of "
                                 "dignity or injury to feelings."),
    "requester_health": Ground("s 49(1)(b)", "It is about the requester's physical or mental health and, "
                               "after consulting their health practitioner where practicable, releasing it "
                               "would be likely to prejudice their health."),
    "under_16_interests": Ground("s 49(1)(c)", "The person it is about is under 16 and releasing it would "
                                 "be contrary to their interests."),
    "custody_or_rehabilitation": Ground("s 49(1)(d)", "Releasing it would be likely to prejudice the safe "
                                        "custody or rehabilitation of a person detained or convicted.", True),
    "evaluative_material": Ground("s 50", "It is evaluative material, such as a reference, and releasing it "
                                  "would break a promise of confidence to the person who supplied it."),
    "security_defence_international": Ground("s 51", "Releasing it would be likely to prejudice New "
                                             "Zealand's security, defence or international relations.", True),
    "trade_secret": Ground("s 52", "Releasing it would disclose a trade secret, or unreasonably prejudice "
                           "someone's commercial position.", True),
    # Never the ground of a withheld item (an item that was found exists): list it under "not_held".
    "does_not_exist": Ground("s 53(a)", "The information does not exist, or cannot be found despite "
                             "reasonable efforts."),
    "another_persons_affairs": Ground("s 53(b)", "Releasing it would be an unwarranted disclosure of the "
                                      "affairs of another person, living or dead."),
    "maintenance_of_law": Ground("s 53(c)", "Releasing it would be likely to prejudice the maintenance of "
                                 "the law, including the detection of offences and the right to a fair "
                                 "trial.", True),
    "legal_privilege": Ground("s 53(d)", "Releasing it would breach legal professional privilege."),
    "library_museum_archive": Ground("s 53(e)", "It was placed in a library, museum or archive on a "
                                     "condition that releasing it would breach."),
    "contempt": Ground("s 53(f)", "Releasing it would be contempt of court or of the House of "
                       "Representatives."),
    "criminal_disclosure": Ground("s 53(g)", "A defendant asks for information they can seek under the "
                                  "Criminal Disclosure Act 2008."),
    "frivolous_or_vexatious": Ground("s 53(h)", "The request is frivolous or vexatious, or the information "
                                     "asked for is trivial."),
}
ITEM_GROUNDS = tuple(code for code in WITHHOLDING_GROUNDS if code != "does_not_exist")
NCND_GROUNDS = tuple(code for code, ground in WITHHOLDING_GROUNDS.items() if ground.neither_confirm_nor_deny)
# An item that was found exists, so "does not exist" is never the ground of a withheld item.
assert "does_not_exist" not in ITEM_GROUNDS


# ---- Extending the time limit (s 48 for access, s 65 for corrections) ----

class ExtensionGround(enum.StrEnum):
    """The only three reasons the Act accepts for extending the time limit."""

    LARGE_QUANTITY = "large_quantity"
    CONSULTATIONS = "consultations"
    COMPLEXITY = "complexity"

    @property
    def description(self) -> str:
        return EXTENSION_GROUNDS[self]


EXTENSION_GROUNDS: dict[ExtensionGround, str] = {
    ExtensionGround.LARGE_QUANTITY: (
        "The request is for a large quantity of information, or needs a search through a large quantity "
        "of information, and meeting the original time limit would unreasonably interfere with the "
        "agency's operations."
    ),
    ExtensionGround.CONSULTATIONS: (
        "Consultations are needed to decide the request, and they mean a proper response cannot "
        "reasonably be made within the original time limit."
    ),
    ExtensionGround.COMPLEXITY: (
        "Processing the request raises issues so complex that a proper response cannot reasonably be "
        "made within the original time limit."
    ),
}



# The section that allows extending the time limit depends on what was asked.
EXTENSION_SECTIONS = {"access": "s 48", "correction": "s 65"}


def ground_line(code: str, kind: str = "access") -> str:
    """The section and plain meaning of a ground for withholding or for extending the time limit; `kind`
    ('access' or 'correction') picks the section of an extension ground."""
    withholding = WITHHOLDING_GROUNDS.get(code)
    if withholding is not None:
        return f"{withholding.section}: {withholding.description}"
    if code in set(ExtensionGround):
        return f"{EXTENSION_SECTIONS.get(kind, 's 48')}: {EXTENSION_GROUNDS[ExtensionGround(code)]}"
    # A code neither table knows is shown as it came: a page that hides a ground is worse than an odd one.
    return code
