"""Reports for managers: the KPIs of a period and their presentation.

* `report.kpi`: `compute` the KPIs of a period as one JSON-serialisable dict (pure functions over
  mention dicts and audit entries, no I/O); `report.kpi.definitions` says what every number means.
* `report.credit`: who did the work, from the audit log (`Ledger`, `credited_agent`).
* `report.rows`: the KPIs as labelled rows and sentences, shared by the two presentations;
  `report.text`: terminal tables (`text_report`); `report.html`: one self-contained HTML file
  (`html_report`) with the charts of `report.charts` (matplotlib, imported only to draw them).
* `report.stats`: percentiles and shares.

Nothing here is imported by `socialwatch --help`, `show` or `triage`: `socialwatch report`
imports it inside the command.
"""
