# USSD screens, English. Each rendered screen must fit one handset screen: 182 GSM-7 characters
# (tests/api and src/ussd check every screen in every language). { $ussd } is the campaign's code.

language-menu = Cyber Mitan / साइबर मितान
    1 हिंदी Hindi
    2 छत्तीसगढ़ी CG
    3 English
    4 Hindi (ABC)

menu-new = Cyber Mitan: free SMS tips to stay safe from fraud.
    1 Join
    2 Today's tip
    3 Fraud help
    4 Language
    5 My data
    6 Report fraud number
menu-member = Cyber Mitan
    1 Today's tip
    2 Stop tips
    3 Fraud help
    4 Language
    5 My data
    6 Report fraud number

code-ask = Enter the code of the mitan or officer who told you about Cyber Mitan, or 0 to skip.
code-mistyped = That code has a typing mistake. Type it again, or 0 to skip.
code-unknown = No one has that code. Type it again, or 0 to skip.
code-expired = That event code has expired. Type another, or 0 to skip.
code-used-up = That event code is used up. Type another, or 0 to skip.
code-own = You cannot use your own code. Type another, or 0 to skip.

notice-stored = We keep only: your mobile no., language, village code (if given) and time of consent. Used only to send fraud-safety SMS.
    1 Next
notice-police = Your number is NOT shown to police officers and is never sold. Stop any time: dial { $ussd }, press 2. Deleted within 30 days.
    1 Next
consent = Are you 18 or older, and do you agree to get these tips?
    1 Yes, I agree
    2 No

joined = Done! Your mitan code is { $code }: share it. Up to 2 free tips a week. Stop: dial { $ussd }, press 2, or SMS STOP. Fraud? Call 1930.
rejoined = Welcome back! Tips start again. Your code is still { $code }. Stop: dial { $ussd }, press 2. Fraud? Call 1930.
already-member = You are already a Cyber Mitan. Your code is { $code }. Fraud? Call 1930.
declined = No problem. Nothing was saved. You can join any time by dialling { $ussd }. Lost money to fraud? Call 1930.

help = Money lost to fraud? Call 1930 at once (free). Complaint: cybercrime.gov.in. Emergency: 112. Your Cyber Mitan can also help.

nothing-stored = Nothing is stored about this number. Join to get free fraud-safety tips.
    0 Back
my-data = Stored: number { $masked }, language { $language }, area { $area }, joined { $joined }. Officers never see your number.
    1 Erase my data
    0 Back
area-unknown = not given
erase-confirm = Erase your number and stop all tips? This cannot be undone.
    1 Yes, erase
    2 No
erased = Done. Your number is erased and you will get no more SMS. To join again, dial { $ussd }. Fraud? Call 1930.
stopped = Stopped. You will get no more tips. Your number will be deleted within 30 days. To join again, dial { $ussd }. Fraud? Call 1930.

resume = You did not finish joining.
    1 Continue
    2 Start over

invalid = Please choose one of these.
too-many = Too many wrong entries. Please dial { $ussd } again. Fraud? Call 1930.
more = More
back = Back
goodbye = Thank you. Stay safe: never share an OTP or PIN. Fraud? Call 1930.

lang-hi = Hindi
lang-hne = Chhattisgarhi
lang-en = English

report-medium = Report a fraud number. How did it reach you?
    1 Call
    2 SMS
    3 WhatsApp
    0 Back
report-kind = What was it about?
    1 Bank, KYC, OTP, UPI
    2 Prize or lottery
    3 Job, loan, investment
    4 Police or arrest threat
    5 Other
    0 Back
report-number = Type the number that called or wrote to you, or 0 to go back. Your own number is not kept with it.
report-mistyped = That is not a mobile number. Type the 10-digit number again, or 0 to go back.
reported = Thank you: the number is noted for the cyber cell; yours is not kept with it. Money lost? Call 1930 at once, the first hour counts. Also report at sancharsaathi.gov.in

medium-call = Tips by phone call
medium-sms = Tips by SMS
medium-call-set = Done: tips will now come as a phone call you can listen to. For SMS again, dial { $ussd } and press 7. Fraud? Call 1930.
medium-sms-set = Done: tips will come by SMS again. For calls, dial { $ussd } and press 7. Fraud? Call 1930.
