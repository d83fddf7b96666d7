# SMS replies, Chhattisgarhi (Devanagari: UCS-2). Needs review by a native speaker.

sms-notice = साइबर मितान: ठगी ले बचे के मुफ्त SMS। हमन सिरिफ तुंहर नंबर, भाखा अउ हामी के बेरा रखबो; पुलिस तुंहर नंबर नइ देखय। कभू भी बंद: STOP भेजव। 18+ हव अउ राजी हव त YES या हव भेजव।
sms-invite = एक साइबर मितान ह तुमन ल जोड़े बर कहिस हे।
sms-joined = साइबर मितान म स्वागत! तुंहर कोड { $code }, दूसर ल देवव। बंद: STOP भेजव। ठगी: 1930
sms-rejoined = फेर स्वागत! सुझाव फेर सुरू। तुंहर कोड { $code }। बंद: STOP भेजव। ठगी: 1930
sms-already-member = तुमन पहिली ले साइबर मितान हव। कोड { $code }। ठगी: 1930
sms-code-refused = ए कोड अब नइ चलय। बिना कोड जुड़े बर YES भेजव।
sms-bad-code = कोड म गलती हे। JOIN अउ कोड फेर भेजव, या सिरिफ JOIN।
sms-stopped = साइबर मितान: अब SMS नइ आही। नंबर 30 दिन म मिटही। फेर जुड़े बर START भेजव।
sms-erased = साइबर मितान: तुंहर नंबर मिटा दे गिस, अब कोनो SMS नइ आही।
sms-help = साइबर मितान: जुड़व JOIN, सुझाव TIP, भाखा LANG, बंद STOP, मिटाव DELETE। ठगी होइस? तुरते 1930
sms-short-help = साइबर मितान: सब्द बर HELP भेजव। ठगी: 1930
sms-language-set = ठीक हे, अब SMS छत्तीसगढ़ी म आही।
sms-status = साइबर मितान: { $quota } म ले { $count } जुड़िन। तुंहर कोड { $code }।
sms-code = तुंहर कोड { $code }। लोगन JOIN { $code } भेज के या { $ussd } डायल करके जुड़ंय।
sms-invited = नेवता भेजे गिस।
sms-invite-bad-number = INVITE अउ 10 अंक के मोबाइल नंबर भेजव।
sms-tip = सुझाव: { $tip }
sms-scam-kind = ठगी जांच: कहूं संदेस ह ए मांगय, त ओहा ठगी आय। { $tip }
sms-scam-unsure = ठगी जांच: सिरिफ संदेस ले पक्का नइ कहि सकन। OTP या PIN कभू झन बताव, पइसा पाय बर कभू पइसा झन देव। पइसा मांगिस या गिस? 1930 म फोन करव। सिकायत: sancharsaathi.gov.in
