# SMS replies, English (GSM-7: 160 characters a part). { $ussd } is the campaign's USSD code.

sms-notice = Cyber Mitan: free SMS tips against fraud. We keep only your number, language and time of consent; police never see your number. Stop any time: SMS STOP. Reply YES if you are 18+ and agree.
sms-invite = A Cyber Mitan volunteer asked us to invite you.
sms-joined = Welcome to Cyber Mitan! Your code is { $code }: share it. Up to 2 tips a week. Stop: SMS STOP. Fraud? Call 1930.
sms-rejoined = Welcome back to Cyber Mitan! Tips start again. Your code is still { $code }. Stop: SMS STOP. Fraud? Call 1930.
sms-already-member = You are already a Cyber Mitan. Your code is { $code }. Fraud? Call 1930.
sms-code-refused = That code can no longer be used. Reply YES to join without it.
sms-bad-code = That code has a typing mistake. Send JOIN and the code again, or JOIN alone.
sms-stopped = Cyber Mitan: you will get no more SMS. Your number will be deleted within 30 days. To join again, SMS START.
sms-erased = Cyber Mitan: your number is erased and you will get no more SMS.
sms-help = Cyber Mitan: SMS JOIN to join, TIP for a tip, LANG HI/EN/CG for language, STOP to stop, DELETE to erase. Money lost to fraud? Call 1930 at once.
sms-short-help = Cyber Mitan: SMS HELP for the keywords. Fraud? Call 1930.
sms-language-set = OK: your Cyber Mitan SMS will come in English.
sms-status = Cyber Mitan: { $count } of { $quota } recruits so far. Your code: { $code }.
sms-code = Your Cyber Mitan code is { $code }. People join by SMS JOIN { $code } or by dialling { $ussd }.
sms-invited = Invited.
sms-invite-bad-number = Send INVITE and a 10-digit mobile number.
sms-tip = Cyber Mitan tip: { $tip }
sms-scam-kind = Scam check: if a message asks for this, it is fraud. { $tip }
sms-scam-unsure = Scam check: we cannot tell from the text alone. Never share an OTP or PIN, never pay to receive money. Money asked for or lost? Call 1930. Report at sancharsaathi.gov.in
sms-reported = Cyber Mitan: thank you, the number is noted for the cyber cell; yours is not kept with it. Money lost? Call 1930 at once: the first hour counts. Also report at sancharsaathi.gov.in (Chakshu).
sms-report-bad-number = Send REPORT and the 10-digit mobile number that called or wrote to you, e.g. REPORT 98765 43210 CALL

sms-voice-on = OK: Cyber Mitan tips will now come as a phone call from { $number }. For SMS again, send SMS.
sms-voice-off = OK: Cyber Mitan tips will come by SMS again. For calls, send VOICE.
sms-voice-unavailable = Sorry, tips by phone call are not available yet. Tips come by SMS.
