# छपे कोड कार्ड: छत्तीसगढ़ी म card-promise छपथे (बाकी हिंदी म)। Needs review by a native speaker.

card-title = साइबर मितान: ठगी ले बचाव
card-code-label = तुंहर कोड
card-event-code-label = कार्यक्रम कोड
card-dial-with-code = डायल करव { $dial }
card-dial = या { $ussd } डायल करव, कोड पूछे त { $code } डारव
card-sms = या { $text } लिख के { $number } म SMS भेजव
card-sms-anywhere = या SMS भेजव: { $text }
card-missed-call = या { $number } म मिस्ड कॉल देवव
card-promise = पुलिस तुंहर नंबर नइ देखय, न बेचाय जाही।
card-tips = ठगी ले बचे के मुफ्त SMS सुझाव। कभू भी बंद: STOP भेजव।
card-helpline = ठगी होगे? तुरते 1930 म फोन करव
card-event = { $event }, { $until } तक
