# छपे कोड कार्ड (`mitan cards`, डैशबोर्ड का cards.pdf)। वादे वही जो सेवा निभाती है: सहमति की
# सूचना कहती है "पुलिस आपका नंबर नहीं देखेगी", इसलिए कार्ड भी "नहीं देखेगी" कहता है, "नहीं देख
# सकती" नहीं।

card-title = साइबर मितान: ठगी से बचाव
card-code-label = आपका कोड
card-event-code-label = कार्यक्रम कोड
card-dial-with-code = डायल करें { $dial }
card-dial = या { $ussd } डायल करें, कोड पूछने पर { $code } डालें
card-sms = या { $text } लिखकर { $number } पर SMS भेजें
card-sms-anywhere = या SMS भेजें: { $text }
card-missed-call = या { $number } पर मिस्ड कॉल दें
card-promise = पुलिस आपका नंबर नहीं देखेगी, न बेचा जाएगा।
card-tips = ठगी से बचाव के मुफ्त SMS सुझाव। कभी भी बंद: STOP भेजें।
card-helpline = ठगी हुई? तुरंत 1930 पर कॉल करें
card-event = { $event }, { $until } तक
