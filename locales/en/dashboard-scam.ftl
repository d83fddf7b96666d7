# The scam check's figures (/admin/scams).
admin-nav-scams = Scam checks
admin-scams-note = Messages villagers forwarded (or sent with CHECK) per fraud kind, per week from Monday; "none" when no kind was clear. Only the kind and the day are kept, never the message or the number.
admin-scams-kind = Fraud kind
admin-scams-total = All
admin-scams-none-yet = No message checked in these weeks.
