# SMS replies, Hindi in Roman letters (GSM-7: cheap, and readable on every handset).

sms-notice = Cyber Mitan: thagi se bachav ke muft SMS. Hum sirf aapka number, bhasha aur sahmati ka samay rakhenge; pulis aapka number nahin dekhegi. Kabhi bhi band: STOP bhejein. 18+ hain aur sahmat hain to YES ya HAAN bhejein.
sms-invite = Ek Cyber Mitan ne aapko jodne ko kaha hai.
sms-joined = Cyber Mitan mein swagat! Aapka code { $code }, doosron ko dein. Hafte mein 2 tak sujhav. Band: STOP bhejein. Thagi? 1930 par call karein.
sms-rejoined = Phir swagat! Sujhav phir shuru. Aapka code { $code }. Band: STOP bhejein. Thagi? 1930.
sms-already-member = Aap pehle se Cyber Mitan hain. Aapka code { $code }. Thagi? 1930.
sms-code-refused = Yeh code ab nahin chalega. Bina code judne ke liye YES bhejein.
sms-bad-code = Code mein galti hai. JOIN aur code phir bhejein, ya sirf JOIN.
sms-stopped = Cyber Mitan: ab SMS nahin aayenge. Number 30 din mein mitega. Phir judne ke liye START bhejein.
sms-erased = Cyber Mitan: aapka number mita diya gaya, ab koi SMS nahin aayega.
sms-help = Cyber Mitan: judne ke liye JOIN, sujhav TIP, bhasha LANG HI/EN/CG, band STOP, mitane ke liye DELETE. Thagi hui? Turant 1930 par call karein.
sms-short-help = Cyber Mitan: shabdon ke liye HELP bhejein. Thagi? 1930.
sms-language-set = Theek hai, ab SMS Hindi (Roman) mein aayenge.
sms-status = Cyber Mitan: { $quota } mein se { $count } jude. Aapka code { $code }.
sms-code = Aapka Cyber Mitan code { $code } hai. Log JOIN { $code } bhejkar ya { $ussd } dial karke judein.
sms-invited = Nyota bhej diya.
sms-invite-bad-number = INVITE aur 10 ank ka mobile number bhejein.
sms-tip = Sujhav: { $tip }
sms-scam-kind = Thagi jaanch: agar koi sandesh yeh maange, to woh thagi hai. { $tip }
sms-scam-unsure = Thagi jaanch: sirf sandesh se pakka nahi keh sakte. OTP ya PIN kabhi na batayein, paise paane ke liye kabhi bhugtan na karein. Paise maange ya gaye? 1930 par call karein. Shikayat: sancharsaathi.gov.in
sms-reported = Cyber Mitan: dhanyavaad, number cyber cell ke liye darj hua; aapka number uske saath nahi rakha jata. Paise gaye? Turant 1930 par call karein, pehla ghanta sabse zaroori hai. sancharsaathi.gov.in (Chakshu) par bhi shikayat karein.
sms-report-bad-number = SHIKAYAT ke baad woh 10 ank ka mobile number bhejein jisse call ya sandesh aaya, jaise: SHIKAYAT 98765 43210

sms-voice-on = Theek hai, ab Cyber Mitan sujhav { $number } se phone call par aayenge. Phir se SMS ke liye SMS bhejein.
sms-voice-off = Theek hai, ab sujhav phir se SMS par aayenge. Call ke liye VOICE bhejein.
sms-voice-unavailable = Maaf karein, phone call par sujhav abhi uplabdh nahin hain. Sujhav SMS par aayenge.
