# USSD screens, Hindi in Roman script ("Hinglish"), for handsets that cannot draw Devanagari.
# GSM-7: at most 182 characters a screen.

language-menu = Cyber Mitan / साइबर मितान
    1 हिंदी Hindi
    2 छत्तीसगढ़ी CG
    3 English
    4 Hindi (ABC)

menu-new = Cyber Mitan: thagi se bachav ke muft SMS
    1 Judein
    2 Aaj ka sujhav
    3 Thagi mein madad
    4 Bhasha
    5 Mera data
    6 Thag number batayein
menu-member = Cyber Mitan
    1 Aaj ka sujhav
    2 SMS band karein
    3 Thagi mein madad
    4 Bhasha
    5 Mera data
    6 Thag number batayein

code-ask = Jis mitan ya pulis karmi ne bataya, uska code daalein. Code nahin to 0 dabayein.
code-mistyped = Code mein galti hai. Phir se daalein, ya 0 dabayein.
code-unknown = Yeh code kisi ka nahin hai. Phir se daalein, ya 0 dabayein.
code-expired = Yeh code khatam ho gaya. Doosra daalein, ya 0 dabayein.
code-used-up = Yeh code poora istemal ho chuka. Doosra daalein, ya 0 dabayein.
code-own = Apna code nahin daal sakte. Doosra daalein, ya 0 dabayein.

notice-stored = Hum rakhenge: aapka number, bhasha, gaon code (agar diya) aur sahmati ka samay. Sirf thagi-bachav SMS ke liye.
    1 Aage
notice-police = Aapka number pulis ko NAHIN dikhega, na becha jayega. Kabhi bhi band karein: { $ussd } dial karke 2 dabayein. 30 din mein mitega.
    1 Aage
consent = Kya aap 18 saal ya usse bade hain aur in sujhavon ke liye sahmat hain?
    1 Haan, sahmat
    2 Nahin

joined = Jud gaye! Aapka mitan code { $code } hai, doosron ko dein. Hafte mein 2 tak muft SMS. Band: { $ussd } par 2, ya SMS STOP. Thagi? 1930 par call karein.
rejoined = Phir swagat! Sujhav phir shuru. Aapka code { $code }. Band: { $ussd } par 2. Thagi? 1930 par call karein.
already-member = Aap pehle se Cyber Mitan hain. Aapka code { $code }. Thagi? 1930 par call karein.
declined = Koi baat nahin. Kuch bhi save nahin hua. Kabhi bhi { $ussd } dial karke judein. Thagi? 1930 par call karein.

help = Madad: thagi mein paisa gaya? Turant 1930 par call karein (muft). Shikayat: cybercrime.gov.in. Apaat: 112. Aapka Cyber Mitan bhi madad karega.

nothing-stored = Is number ka kuch bhi save nahin hai. Muft thagi-bachav SMS ke liye judein.
    0 Peeche
my-data = Save hai: number { $masked }, bhasha { $language }, kshetra { $area }, jude { $joined }. Pulis aapka number nahin dekhti.
    1 Mera data mitayein
    0 Peeche
area-unknown = nahin diya
erase-confirm = Number mitakar sab SMS band karein? Yeh wapas nahin hoga.
    1 Haan, mitayein
    2 Nahin
erased = Ho gaya. Aapka number mita diya gaya, ab koi SMS nahin aayega. Phir judne ke liye { $ussd } dial karein. Thagi? 1930.
stopped = Band ho gaya. Ab sujhav nahin aayenge. Number 30 din mein mitega. Phir judne ke liye { $ussd } dial karein. Thagi? 1930.

resume = Aapka judna adhoora reh gaya.
    1 Jaari rakhein
    2 Phir se shuru

invalid = Sahi vikalp chunein.
too-many = Kai galat jawab. Phir se { $ussd } dial karein. Thagi? 1930 par call karein.
more = Aage
back = Peeche
goodbye = Dhanyavaad. OTP ya PIN kisi ko na batayein. Thagi? 1930 par call karein.

lang-hi = Hindi
lang-hne = Chhattisgarhi
lang-en = English

report-medium = Thag number: kaise aaya?
    1 Call
    2 SMS
    3 WhatsApp
    0 Peeche
report-kind = Kis baare mein?
    1 Bank, KYC, OTP, UPI
    2 Inaam ya lottery
    3 Naukri, loan, nivesh
    4 Pulis ya giraftari ki dhamki
    5 Anya
    0 Peeche
report-number = Jis number se call ya sandesh aaya woh daalein, ya 0 dabayein. Aapka number uske saath nahin rakha jata.
report-mistyped = Yeh mobile number nahin hai. 10 ank ka number phir daalein, ya 0 dabayein.
reported = Dhanyavaad: number cyber cell ke liye darj hua; aapka number saath nahin rakha jata. Paise gaye? Turant 1930 par call karein, pehla ghanta zaroori. Shikayat: sancharsaathi.gov.in

medium-call = Sujhav phone call par
medium-sms = Sujhav SMS par
medium-call-set = Theek hai, ab sujhav phone call par sunaye jayenge. Phir SMS ke liye { $ussd } dial karke 7 dabayein. Thagi? 1930 par call karein.
medium-sms-set = Theek hai, ab sujhav phir SMS par aayenge. Call ke liye { $ussd } dial karke 7 dabayein. Thagi? 1930 par call karein.
