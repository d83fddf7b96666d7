# The words of tip calls, spoken (by `mitan voice synth` until real recordings replace them).
voice-menu = To hear this tip again, press 1. For the next tip, press 2. To stop these calls, press 9.
voice-consent = Namaste. This is Cyber Mitan, from the cyber cell: free safety tips against phone and online fraud, by phone call, up to two a week. We keep only your mobile number, your language and the time you agree. Police officers do not see your number, and it is never sold. You can stop at any time. If you are 18 or older and agree to get these calls, press 1 now.
voice-joined = Thank you. You have joined Cyber Mitan. Here is today's tip.
voice-stopped = You will get no more calls or tips from Cyber Mitan. Your number will be deleted within 30 days. If you lost money to fraud, call 1930.
voice-goodbye = Thank you. Never share an OTP or PIN with anyone. If you lost money to fraud, call 1930 at once.
