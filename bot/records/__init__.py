"""The programme's data at the provider ([reporting]): rows of each holding's fields per person, recorded on
the desk, by CSV import and through the JSON API, with every correction kept; and the consent register that
flows' conditions read. It owns tables.py's records, corrections and consent events. It may use requests,
outbound, flows, copies and language below it, never reports or anything above."""
