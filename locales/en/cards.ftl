# Printed code cards (`mitan cards`, the dashboard's cards.pdf). A card is printed in Hindi with
# one line in Chhattisgarhi (card-promise of locales/hne); these English texts are the reference
# for translators. Every promise here is one the service keeps: the consent notice says the
# police will not see the number (sms-notice, notice-police), so the cards say "will not see",
# never "cannot see" (the cyber cell holds the key the numbers are sealed with).

card-title = Cyber Mitan: protection from fraud
card-code-label = Your code
card-event-code-label = Event code
card-dial-with-code = Dial { $dial }
card-dial = Or dial { $ussd } and enter code { $code } when asked
card-sms = Or SMS { $text } to { $number }
card-sms-anywhere = Or SMS { $text }
card-missed-call = Or give a missed call to { $number }
card-promise = The police will not see your number, and it will not be sold.
card-tips = Free SMS tips against fraud. Stop any time: SMS STOP.
card-helpline = Lost money to fraud? Call 1930 at once
card-event = { $event }, until { $until }
