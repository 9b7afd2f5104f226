"""Reports under the agreement ([reporting]): for each flow and period that falls due, the report is
prepared from the programme's records (only the flow's fields, only the people its condition allows, study
numbers in place of names where the flow does not name people, small groups made coarser or held back),
checked, approved or held back by staff, sent in signed parts to the one unit the flow names, and written in
the ledger that tells each family where its information went. Outcomes of information use a unit reports
against those reports are kept with them, and told to the families they carried (outcomes.py). It owns tables.py's
reports, report rows, ledger and outcomes, and may use records and every room below it."""
