# Fraud-number reports (/admin/reports).
admin-nav-reports = Fraud numbers
admin-reports-note = Numbers villagers reported as fraud callers or senders (USSD or SMS REPORT), shown once { $reporters } different people reported one in the last { $days } days. Unverified: numbers can be spoofed and reports can be malicious; check before acting. Who reported a number is never kept.
admin-reports-totals = In the window: { $numbers } numbers reported, { $reports } reports in all.
admin-reports-csv = Download CSV (for Chakshu or the NCRP)
admin-reports-number = Number
admin-reports-reporters = Reporters
admin-reports-first = First reported
admin-reports-last = Last reported
admin-reports-media = How
admin-reports-kinds = About
admin-reports-status = Status
admin-reports-unverified = unverified
admin-reports-none-yet = No number has been reported by enough people yet.
