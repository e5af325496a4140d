import { describe, expect, it } from 'vitest';
import {
  type ContactTopic,
  contactDetailsFor,
  contactTopicOfQuestion,
  extractContact,
} from './extract-contact.ts';

const extract = (text: string, lastAsked?: ContactTopic | null) => extractContact(text, { lastAsked });

describe('an introduction', () => {
  it('reads name, title, company and headcount from one sentence', () => {
    expect(
      extract("Hi, I'm Dana Reyes, VP of Sales at Northwind Logistics — we're about 300 people"),
    ).toEqual({
      firstName: 'Dana',
      lastName: 'Reyes',
      title: 'VP of Sales',
      company: 'Northwind Logistics',
      companySize: 300,
    });
    expect(
      extract("Hi, I'm Dana Reyes, VP of Sales at Northwind Logistics. We're a 300-person company."),
    ).toEqual({
      firstName: 'Dana',
      lastName: 'Reyes',
      title: 'VP of Sales',
      company: 'Northwind Logistics',
      companySize: 300,
    });
  });

  it.each([
    ["I'm Sam", { firstName: 'Sam' }],
    ["I'm Sam.", { firstName: 'Sam' }],
    ['My name is Priya Natarajan', { firstName: 'Priya', lastName: 'Natarajan' }],
    ['my name is priya natarajan', { firstName: 'Priya', lastName: 'Natarajan' }],
    ['This is Marco from Globex', { firstName: 'Marco', company: 'Globex' }],
    [
      'Dana here, head of revops at Initech',
      { firstName: 'Dana', title: 'Head of Revops', company: 'Initech' },
    ],
    [
      'hi im dana reyes, head of sales at acme corp',
      {
        firstName: 'Dana',
        lastName: 'Reyes',
        title: 'Head of Sales',
        company: 'Acme Corp',
      },
    ],
    ["Hey there! I'm José Álvarez, the CRO.", { firstName: 'José', lastName: 'Álvarez', title: 'CRO' }],
    [
      "I'm Siobhan O'Neill, sales manager",
      { firstName: 'Siobhan', lastName: "O'Neill", title: 'Sales Manager' },
    ],
  ])('reads %j', (text, expected) => {
    expect(extract(text)).toEqual(expected);
  });

  it.each([
    "I'm interested in your Growth plan.",
    "I'm looking for a forecasting tool",
    "I'm not sure yet",
    "I'm the VP of Sales",
    "I'm based in Germany",
    "I'm curious how this works",
    'im good thanks',
    "I'm German",
    "I'm in IT",
  ])('takes no name from %j', (text) => {
    const found = extract(text);
    expect(found.firstName).toBeUndefined();
    expect(found.lastName).toBeUndefined();
  });
});

describe('introductions as prospects write them', () => {
  it.each([
    [
      'Hello! Tom Becker here, founder and CEO of Lumen Robotics (about 40 people, industrial automation, Munich, Germany).',
      {
        firstName: 'Tom',
        lastName: 'Becker',
        title: 'Founder and CEO',
        company: 'Lumen Robotics',
        companySize: 40,
        country: 'Germany',
      },
    ],
    [
      'Hey — Priya Natarajan, Head of Revenue Operations at Cobalt Health. We need better forecast accuracy.',
      {
        firstName: 'Priya',
        lastName: 'Natarajan',
        title: 'Head of Revenue Operations',
        company: 'Cobalt Health',
      },
    ],
    [
      "Hi, this is James O'Neill from Fernhill Insurance in Dublin, Ireland — 300 employees. I'm the sales director.",
      {
        firstName: 'James',
        lastName: "O'Neill",
        title: 'Sales Director',
        company: 'Fernhill Insurance',
        companySize: 300,
        country: 'Ireland',
      },
    ],
    [
      "Hello, I'm David Kim, sales director at Pinecrest Software (pinecrest.io), about 80 employees.",
      {
        firstName: 'David',
        lastName: 'Kim',
        title: 'Sales Director',
        company: 'Pinecrest Software',
        companySize: 80,
        website: 'pinecrest.io',
      },
    ],
    [
      "Hi, I'm Olivia Brown, I run a small consultancy (obrown-consulting.com) and need a simple forecast",
      { firstName: 'Olivia', lastName: 'Brown', industry: 'Consulting', website: 'obrown-consulting.com' },
    ],
    [
      'Hello, I’m an analyst on the revenue team at Harbor Bank.',
      { title: 'Analyst', company: 'Harbor Bank' },
    ],
    ["Hi, I work at Clari and I'm curious about your pricing", { company: 'Clari' }],
    ['curently on salesforce reprts, also evaluting clari', { tools: ['Salesforce'] }],
  ])('reads %j', (text, expected) => {
    expect(extract(text)).toEqual(expected);
  });
});

describe('title and company', () => {
  it.each([
    ["I'm the VP of Sales at Acme.", { title: 'VP of Sales', company: 'Acme' }],
    ['I work for Acme Corp', { company: 'Acme Corp' }],
    ['i work for acme corp', { company: 'Acme Corp' }],
    ['I work at Initech.', { company: 'Initech' }],
    ['We work at Bank of America and hate our forecasts.', { company: 'Bank of America' }],
    ["I'm with Globex, we sell freight software", { company: 'Globex' }],
    ['Our company is called Northwind Logistics', { company: 'Northwind Logistics' }],
    ["I'm a sales operations manager.", { title: 'Sales Operations Manager' }],
    ['I run sales at Hooli', { title: 'Head of Sales', company: 'Hooli' }],
    ['My title is Director of Revenue Operations', { title: 'Director of Revenue Operations' }],
    ['I wrok for Umbrella Inc', { company: 'Umbrella Inc' }],
  ])('reads %j', (text, expected) => {
    expect(extract(text)).toMatchObject(expected);
  });

  it('does not take a place or a time for a company', () => {
    expect(extract("I'm at home right now").company).toBeUndefined();
    expect(extract('I work from Germany').company).toBeUndefined();
    expect(extract("We're looking at Gong too").company).toBeUndefined();
  });
});

describe('terse answers to the question the agent asked', () => {
  it('reads a name', () => {
    expect(extract('Dana Reyes', 'name')).toEqual({ firstName: 'Dana', lastName: 'Reyes' });
    expect(extract('dana', 'name')).toEqual({ firstName: 'Dana' });
    expect(extract("It's Sam, from Acme", 'name')).toEqual({ firstName: 'Sam', company: 'Acme' });
    expect(extract("I'd rather not say", 'name')).toEqual({});
    // Without the question, a bare word is no name.
    expect(extract('Dana Reyes')).toEqual({});
  });

  it('reads a company', () => {
    expect(extract('Acme Corp', 'company')).toEqual({ company: 'Acme Corp' });
    expect(extract('initech', 'company')).toEqual({ company: 'Initech' });
    expect(extract("It's Northwind Logistics.", 'company')).toEqual({ company: 'Northwind Logistics' });
    expect(extract("we're with globex", 'company')).toEqual({ company: 'Globex' });
    expect(extract('Acme Corp')).toEqual({});
  });

  it('reads a title, a headcount, a phone number and a website', () => {
    expect(extract('head of revenue operations', 'title')).toEqual({ title: 'Head of Revenue Operations' });
    expect(extract('about 300', 'size')).toEqual({ companySize: 300 });
    expect(extract('415 555 0199', 'reach')).toEqual({ phone: '415 555 0199' });
    expect(extract('northwind.io', 'website')).toEqual({ website: 'northwind.io' });
  });

  it('knows what the agent asked', () => {
    expect(contactTopicOfQuestion('Who am I chatting with, by the way?')).toBe('name');
    expect(contactTopicOfQuestion("What's your name?")).toBe('name');
    expect(contactTopicOfQuestion('Which company are you with?')).toBe('company');
    expect(contactTopicOfQuestion("What's your role there?")).toBe('title');
    expect(contactTopicOfQuestion('How many employees does your company have?')).toBe('size');
    expect(contactTopicOfQuestion("What's the best email address or phone number to reach you?")).toBe(
      'reach',
    );
    expect(contactTopicOfQuestion('What are you hoping to fix?')).toBeNull();
  });
});

describe('company size', () => {
  it.each([
    ["We're a 300-person company.", 300],
    ['we are a 300 person firm', 300],
    ['about 300 people', 300],
    ['Hi! Northwind Logistics (about 300 people, freight)', 300],
    ['we need it for about 300 people', undefined],
    ["We're about 300 people", 300],
    ['We have 300 employees', 300],
    ['300 employees, mostly in ops', 300],
    ["We're 1,200 strong", 1200],
    ['We have around 2k employees', 2000],
    ['We employ roughly 1.5k people', 1500],
    ['Headcount is 85', 85],
    ['between 200 and 300 employees', 200],
    ['50-100 employees', 50],
    ['a company of 40 people', 40],
    ['We have 300 emplyees', 300],
    ["We're a team of 12 people", 12],
    ['we need 50 seats', undefined],
    ['We have 20k users', undefined],
    ['Our budget is $300', undefined],
  ])('reads %j as %s employees', (text, employees) => {
    expect(extract(text).companySize).toBe(employees);
  });

  it('keeps a sales team apart from the headcount', () => {
    expect(extract('We have a team of 45 reps')).toEqual({ salesTeamSize: 45 });
    expect(extract('Our sales team is 20 people')).toEqual({ salesTeamSize: 20 });
    expect(extract("We're 300 people with 40 AEs")).toEqual({ companySize: 300, salesTeamSize: 40 });
  });

  it('counts the sales team as the size only when no headcount was said in the conversation', () => {
    expect(contactDetailsFor([{ role: 'prospect', text: 'We have a team of 45 reps' }])).toEqual({
      companySize: 45,
    });
    expect(
      contactDetailsFor([
        { role: 'prospect', text: "We're a 300-person company." },
        { role: 'agent', text: 'Thanks! How many reps would use it?' },
        { role: 'prospect', text: 'A team of 45 reps' },
      ]),
    ).toEqual({});
  });
});

describe('email, phone and website', () => {
  it.each([
    ['call me at +1 415 555 0199', '+1 415 555 0199'],
    ['My number is (415) 555-0199', '(415) 555-0199'],
    ['cell: 415.555.0199', '415.555.0199'],
    ['Text me on +44 7700 900123 after 5', '+44 7700 900123'],
    ['you can reach me on 0049 30 1234567', '0049 30 1234567'],
    ['my nubmer is 415 555 0199', '415 555 0199'],
  ])('reads the phone in %j', (text, phone) => {
    expect(extract(text).phone).toBe(phone);
  });

  it.each([
    'We want it live by 2026-12-01',
    'We have $50,000 for this',
    'We are 200-300 people',
    'Order 4155550199 was wrong',
  ])('reads no phone in %j', (text) => {
    expect(extract(text).phone).toBeUndefined();
  });

  it('reads an email, also inside a question', () => {
    expect(extract('Reach me at Dana.Reyes@Northwind.io')).toMatchObject({
      email: 'dana.reyes@northwind.io',
    });
    expect(extract('Can you email me at sam@acme.example?')).toMatchObject({ email: 'sam@acme.example' });
  });

  it.each([
    ['our site is northwind.io', 'northwind.io'],
    ['Website: https://www.Northwind.io/about', 'northwind.io'],
    ['check us out at www.acme-robotics.com', 'acme-robotics.com'],
    ['our website is initech.co.uk.', 'initech.co.uk'],
  ])('reads the website in %j', (text, website) => {
    expect(extract(text).website).toBe(website);
  });

  it('takes neither an email domain nor a file for the website', () => {
    expect(extract('my email is dana@northwind.io').website).toBeUndefined();
    expect(extract('I sent the deck.pdf yesterday').website).toBeUndefined();
  });
});

describe('industry, country and tools', () => {
  it('reads industry and country together', () => {
    expect(extract("we're a fintech company based in Germany")).toEqual({
      industry: 'Fintech',
      country: 'Germany',
    });
  });

  it.each([
    ["We're a 300-person logistics company", { industry: 'Logistics', companySize: 300 }],
    ["We're a mid-sized B2B SaaS company", { industry: 'B2B SaaS' }],
    ["We're in the healthcare space", { industry: 'Healthcare' }],
    ["we're in logistics", { industry: 'Logistics' }],
    ["We're headquartered in the United States", { country: 'United States' }],
    ['Our HQ is in Berlin, Germany', { country: 'Germany' }],
    ["I'm from the UK", { country: 'UK' }],
    ["We're a German insurtech startup", { industry: 'Insurtech', country: 'Germany' }],
    ['based out of Toronto, Canada', { country: 'Canada' }],
  ])('reads %j', (text, expected) => {
    expect(extract(text)).toEqual(expected);
  });

  it('reads no country from an industry or a region', () => {
    expect(extract("we're in it for the long run").country).toBeUndefined();
    expect(extract("We're based in EMEA").country).toBeUndefined();
  });

  it.each([
    ['We use Salesforce and Gong', ['Salesforce', 'Gong']],
    ["We're on HubSpot, and our forecasts live in spreadsheets", ['HubSpot', 'spreadsheets']],
    ['Our CRM is Pipedrive', ['Pipedrive']],
    ['we use salesfroce', ['Salesforce']],
    ['We use Attio and Slack', ['Slack', 'Attio']],
  ])('reads the tools in %j', (text, tools) => {
    expect(extract(text).tools).toEqual(tools);
  });

  it('does not take a tool they are evaluating or asking about', () => {
    expect(extract("We're looking at Gong and Clari").tools).toBeUndefined();
    expect(extract('Do you integrate with Salesforce?').tools).toBeUndefined();
    expect(extract('We used to use Outreach').tools).toBeUndefined();
  });

  it('adds the loadout’s competitor names to the tools it knows', () => {
    expect(extractContact('We run on Forecastly today', { tools: ['Forecastly'] }).tools).toEqual([
      'Forecastly',
    ]);
  });
});

describe('messages that say nothing about the prospect', () => {
  it.each([
    'How much does the Growth plan cost?',
    'Our forecasts are always wrong and deals slip without warning.',
    'We want something in place within 30 days.',
    'We have around $50k a year for this.',
    "I'm the one who decides, it's my call.",
    'Thanks Dana!',
  ])('finds nothing in %j', (text) => {
    const found = extract(text);
    expect(found.firstName).toBeUndefined();
    expect(found.company).toBeUndefined();
    expect(found.companySize).toBeUndefined();
    expect(found.phone).toBeUndefined();
  });
});
