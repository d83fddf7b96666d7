# USSD screens, Chhattisgarhi (Devanagari; needs review by a native speaker). UCS-2: at most 80
# characters a screen.

language-menu = Cyber Mitan / साइबर मितान
    1 हिंदी Hindi
    2 छत्तीसगढ़ी CG
    3 English
    4 Hindi (ABC)

menu-new = साइबर मितान: मुफत SMS
    1 जुड़व
    2 आज के सलाह
    3 ठगी म मदद
    4 भाखा
    5 मोर डेटा
menu-member = साइबर मितान
    1 आज के सलाह
    2 SMS बंद करव
    3 ठगी म मदद
    4 भाखा
    5 मोर डेटा

code-ask = जेन मितान या पुलिस वाला बताइस, ओकर कोड डारव। कोड नइ हे त 0 दबावव।
code-mistyped = कोड म गलती हे। फेर डारव, या 0 दबावव।
code-unknown = ए कोड काकरो नो हे। फेर डारव, या 0 दबावव।
code-expired = ए कोड खतम होगे। दूसर डारव, या 0 दबावव।
code-used-up = ए कोड पूरा बउरा गे। दूसर डारव, या 0 दबावव।
code-own = अपन कोड नइ डार सकव। दूसर डारव, या 0 दबावव।

notice-stored = हमन रखबो: नंबर, भाखा, गांव कोड, हामी के बेरा; सिरिफ ठगी-बचाव SMS बर।
    1 आगे
notice-police = नंबर पुलिस ल नइ दिखय, न बेचाय जाही। कभू भी बंद करव।
    1 आगे
consent = का तुमन 18 बछर या ओकर ले बड़े हव अउ राजी हव?
    1 हव, राजी
    2 नहीं

joined = जुड़ गेव! तुंहर कोड { $code }, दूसर ल देवव। बंद: { $ussd } म 2। ठगी: 1930
rejoined = फेर स्वागत! तुंहर कोड { $code }। बंद: { $ussd } म 2। ठगी: 1930
already-member = तुमन पहिली ले साइबर मितान हव। कोड { $code }। ठगी: 1930
declined = कोनो बात नइ। कुछु सेव नइ होइस। ठगी: 1930

help = ठगी होइस? तुरते 1930 म फोन करव। शिकायत: cybercrime.gov.in आपात: 112

nothing-stored = ए नंबर के कुछु सेव नइ हे।
    0 पाछू
my-data = नंबर { $masked }
    भाखा { $language }
    { $area }, { $joined }
    1 मिटावव
    0 पाछू
area-unknown = नइ दे हव
erase-confirm = नंबर मिटा के सबो SMS बंद करन?
    1 हव, मिटावव
    2 नहीं
erased = नंबर मिटा दे गिस। अब कोनो SMS नइ आही। ठगी: 1930
stopped = बंद होगे। अब SMS नइ आही। नंबर 30 दिन म मिटही। ठगी: 1930

resume = तुंहर जुड़ई अधूरा रहि गे।
    1 आगू बढ़व
    2 फेर ले सुरू

invalid = सही बिकल्प चुनव।
too-many = बहुत गलत जवाब। फेर { $ussd } डायल करव। ठगी: 1930
more = आगे
back = पाछू
goodbye = धन्यवाद। OTP या PIN काकरो ल झन बतावव। ठगी: 1930

lang-hi = हिंदी
lang-hne = छत्तीसगढ़ी
lang-en = English
