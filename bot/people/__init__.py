"""Families and who may act for whom, as the chat sees them: the family port's answers from the database
(family) and enrolment codes that link a chat to a person. Uses requests, outbound, copies and flows below."""
