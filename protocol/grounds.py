"""A ground of the Privacy Act 2020 as staff and officers read it on either desk: the section, then what it
means. For example, 'another_persons_affairs' reads "s 53(b): Releasing it would be an unwarranted
disclosure of the affairs of another person, living or dead."

The grounds themselves are the agreed ones: for withholding information, protocol.messages (ss 49-53); for
extending the time limit, protocol.deadlines (s 48 for access, s 65 for corrections). This module only says
them, so the provider's staff and the agency's officers always read the same words for the same ground.
"""

from protocol.deadlines import EXTENSION_GROUNDS, ExtensionGround
from protocol.messages import WITHHOLDING_GROUNDS

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
