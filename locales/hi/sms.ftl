# SMS replies, Hindi (Devanagari: UCS-2, 70 characters a part, 67 when split).

sms-notice = साइबर मितान: ठगी से बचाव के मुफ्त SMS। हम सिर्फ आपका नंबर, भाषा और सहमति का समय रखेंगे; पुलिस आपका नंबर नहीं देखेगी। कभी भी बंद: STOP भेजें। 18+ हैं और सहमत हैं तो YES या हां भेजें।
sms-invite = एक साइबर मितान ने आपको जोड़ने को कहा है।
sms-joined = साइबर मितान में स्वागत! आपका कोड { $code }, दूसरों को दें। बंद: STOP भेजें। ठगी: 1930
sms-rejoined = फिर स्वागत! सुझाव फिर शुरू। आपका कोड { $code }। बंद: STOP भेजें। ठगी: 1930
sms-already-member = आप पहले से साइबर मितान हैं। आपका कोड { $code }। ठगी: 1930
sms-code-refused = यह कोड अब नहीं चलेगा। बिना कोड जुड़ने के लिए YES भेजें।
sms-bad-code = कोड में गलती है। JOIN और कोड फिर भेजें, या सिर्फ JOIN।
sms-stopped = साइबर मितान: अब SMS नहीं आएंगे। नंबर 30 दिन में मिटेगा। फिर जुड़ने के लिए START भेजें।
sms-erased = साइबर मितान: आपका नंबर मिटा दिया गया, अब कोई SMS नहीं आएगा।
sms-help = साइबर मितान: जुड़ें JOIN, सुझाव TIP, भाषा LANG, बंद STOP, मिटाएं DELETE। ठगी हुई? तुरंत 1930
sms-short-help = साइबर मितान: शब्दों के लिए HELP भेजें। ठगी: 1930
sms-language-set = ठीक है, अब SMS हिंदी में आएंगे।
sms-status = साइबर मितान: { $quota } में से { $count } जुड़े। आपका कोड { $code }।
sms-code = आपका कोड { $code }। लोग JOIN { $code } भेजकर या { $ussd } डायल कर जुड़ें।
sms-invited = न्योता भेजा।
sms-invite-bad-number = INVITE और 10 अंकों का मोबाइल नंबर भेजें।
sms-tip = सुझाव: { $tip }
