// The peer of mitan's USSD benchmark: the same English join journey built the way many teams
// build USSD services, on express and ussd-menu-builder, with sessions and members kept in memory
// and nothing written anywhere. Its screens are mitan's English screens (locales/en/ussd.ftl):
//
//   language -> menu (1 Join) -> recruiter's code (0 skips) -> what is kept (1 Next)
//            -> police never see the number (1 Next) -> 18+ and agree (1 Yes) -> joined, a code
//
//   node server.js [HOST:PORT]        # default 127.0.0.1:9903
//
// One menu is built per request (a UssdMenu holds the request it is running, so sharing one
// across concurrent requests would mix them up), as ussd-menu-builder's own examples do.
'use strict';

const express = require('express');
const UssdMenu = require('ussd-menu-builder');

const USSD_CODE = '*384*25#';
const sessions = new Map(); // sessionId -> { lang, recruiterCode }
const members = new Map(); // phoneNumber -> own code
let lastCode = 100000;

const store = {
  start: (id, cb) => {
    if (!sessions.has(id)) sessions.set(id, {});
    cb();
  },
  end: (id, cb) => {
    sessions.delete(id);
    cb();
  },
  set: (id, key, value, cb) => {
    (sessions.get(id) || {})[key] = value;
    cb();
  },
  get: (id, key, cb) => cb(null, (sessions.get(id) || {})[key]),
};

function join(phoneNumber) {
  let code = members.get(phoneNumber);
  if (code === undefined) {
    lastCode += 1;
    code = String(lastCode);
    members.set(phoneNumber, code);
  }
  return code;
}

function buildMenu() {
  const menu = new UssdMenu();
  menu.sessionConfig(store);
  menu.startState({
    run: () =>
      menu.con('Cyber Mitan / साइबर मितान\n1 हिंदी Hindi\n2 छत्तीसगढ़ी CG\n3 English\n4 Hindi (ABC)'),
    next: { 1: 'menu', 2: 'menu', 3: 'menu', 4: 'menu' },
  });
  menu.state('menu', {
    run: () =>
      menu.session.set('lang', menu.val).then(() =>
        menu.con(
          'Cyber Mitan: free SMS tips to stay safe from fraud.\n1 Join\n2 Today\'s tip\n3 Fraud help\n4 Language\n5 My data',
        ),
      ),
    next: { 1: 'code', 2: 'tip', 3: 'help' },
  });
  menu.state('code', {
    run: () =>
      menu.con(
        'Enter the code of the mitan or officer who told you about Cyber Mitan, or 0 to skip.',
      ),
    next: { '*^\\d{1,8}$': 'kept' },
  });
  menu.state('kept', {
    run: () =>
      menu.session.set('recruiterCode', menu.val).then(() =>
        menu.con(
          'We keep only: your mobile no., language, village code (if given) and time of consent. Used only to send fraud-safety SMS.\n1 Next',
        ),
      ),
    next: { 1: 'police' },
  });
  menu.state('police', {
    run: () =>
      menu.con(
        `Your number is NOT shown to police officers and is never sold. Stop any time: dial ${USSD_CODE}, press 2. Deleted within 30 days.\n1 Next`,
      ),
    next: { 1: 'consent' },
  });
  menu.state('consent', {
    run: () =>
      menu.con('Are you 18 or older, and do you agree to get these tips?\n1 Yes, I agree\n2 No'),
    next: { 1: 'joined', 2: 'declined' },
  });
  menu.state('joined', {
    run: () =>
      menu.end(
        `Done! Your mitan code is ${join(menu.args.phoneNumber)}: share it. Up to 2 free tips a week. Stop: dial ${USSD_CODE}, press 2, or SMS STOP. Fraud? Call 1930.`,
      ),
  });
  menu.state('declined', {
    run: () =>
      menu.end(
        `No problem. Nothing was saved. You can join any time by dialling ${USSD_CODE}. Lost money to fraud? Call 1930.`,
      ),
  });
  menu.state('tip', {
    run: () => menu.end('Never share an OTP or PIN, not even with the bank or police. Fraud? Call 1930.'),
  });
  menu.state('help', {
    run: () =>
      menu.end(
        'Money lost to fraud? Call 1930 at once (free). Complaint: cybercrime.gov.in. Emergency: 112. Your Cyber Mitan can also help.',
      ),
  });
  return menu;
}

const app = express();
app.use(express.urlencoded({ extended: false }));
app.post('/webhooks/:channel/ussd', (req, res) => {
  buildMenu().run(req.body, (reply) => res.type('text/plain').send(reply));
});

const [host, port] = (process.argv[2] || '127.0.0.1:9903').split(':');
app.listen(Number(port), host);
