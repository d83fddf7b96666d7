# ठग नंबरों की शिकायतें (/admin/reports)।
admin-nav-reports = ठग नंबर
admin-reports-note = वे नंबर जिन्हें ग्रामीणों ने ठगी वाले कॉल या संदेश के रूप में बताया (USSD या SMS शिकायत), तब दिखते हैं जब पिछले { $days } दिनों में { $reporters } अलग-अलग लोगों ने बताया हो। असत्यापित: नंबर नकली हो सकते हैं और शिकायतें झूठी; कार्रवाई से पहले जांचें। किसने शिकायत की, यह कभी नहीं रखा जाता।
admin-reports-totals = इस अवधि में: { $numbers } नंबर बताए गए, कुल { $reports } शिकायतें।
admin-reports-csv = CSV डाउनलोड करें (चक्षु या NCRP के लिए)
admin-reports-number = नंबर
admin-reports-reporters = बताने वाले
admin-reports-first = पहली शिकायत
admin-reports-last = अंतिम शिकायत
admin-reports-media = कैसे
admin-reports-kinds = किस बारे में
admin-reports-status = स्थिति
admin-reports-unverified = असत्यापित
admin-reports-none-yet = अभी तक किसी नंबर को पर्याप्त लोगों ने नहीं बताया।
