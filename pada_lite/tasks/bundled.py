"""The bundled task: routing helpdesk messages for a fictional ISP to one of 7 departments.

It generates, seeded, a small world with known failure patterns: every example carries one
hidden phenomenon tag (`direct`, `preamble`, `typo`, `jargon`, `negation`, `distractor`,
`indirect`), the seed split under-represents four of them, and validation/test cover all
evenly. The hard phenomena are structural: a misleading cue of another department at the
*end* of the message (negation, distractor), or no department keyword at all (jargon, indirect).

Every phrase list exists in two disjoint banks. Bank "A" writes seed/validation/test; bank
"B" is kept for the simulated teacher, so that "generated" data shares no sentence templates
with the evaluation sets (only department keywords such as "bill" or "refund").

It deliberately does not train, evaluate or call an LLM, and it does not define `Splits`
(see `splits.py`); it only makes, writes and reads `data/bundled/*.jsonl`.
Regenerate with `python -m pada_lite.tasks.bundled`.
"""
from __future__ import annotations

import os
import random
import re
from pathlib import Path

from pada_lite.files import atomic_write_text, read_jsonl, write_jsonl
from pada_lite.tasks.splits import Splits
from pada_lite.tasks.spec import Example, LabelTask, normalize_text

COMPANY = "Northwind Telecom"
LABELS = ["billing", "outage", "device", "account", "moving", "cancellation", "sales"]
PHENOMENA = ["direct", "preamble", "typo", "jargon", "negation", "distractor", "indirect"]
RARE_IN_SEED = ["jargon", "negation", "distractor", "indirect"]
# subtle: the structural phenomena (a misleading cue at the end) are the rarest in the seed set, so
# what the student lacks is a rule that generated data in other words can still teach
SEED_MIX = {"direct": 112, "preamble": 97, "typo": 60, "jargon": 12, "negation": 4, "distractor": 4, "indirect": 11}
SPLIT_COUNTS = {"train": SEED_MIX, "validation": dict.fromkeys(PHENOMENA, 45), "test": dict.fromkeys(PHENOMENA, 100)}
DEPARTMENTS = {
    "billing": "bills, charges, invoices, payments and refunds",
    "outage": "service down or offline in an area: broadband, TV or mobile network outages",
    "device": "faulty or replacement equipment the customer has: routers, modems, handsets, TV boxes",
    "account": "logging in, passwords, usernames and the customer's personal details",
    "moving": "moving house: taking the service to a new address",
    "cancellation": "cancelling or terminating a contract, leaving for another provider",
    "sales": "upgrades, new plans, deals and offers, adding products",
}
DESCRIPTION = (f"Customer messages sent to the helpdesk of {COMPANY}, a broadband, TV and mobile provider. "
               "Each message is routed to exactly one department, answered with its name in lowercase:\n"
               + "\n".join(f"- {k}: {v}" for k, v in DEPARTMENTS.items()))
# the strong keywords of each department (a keyword-spotting baseline looks for exactly these)
KEYWORDS = {
    "billing": "bill bills billed billing invoice invoices refund refunds charge charged charges overcharged payment payments",
    "outage": "outage outages down offline",
    "device": "router routers modem modems handset handsets phone phones device devices equipment",
    "account": "password passwords login username usernames|log in|sign in",
    "moving": "moving move moves moved relocate relocated relocating relocation|new address",
    "cancellation": "cancel cancelling canceling cancelled cancellation terminate terminating",
    "sales": "upgrade upgrades upgrading deal deals offer offers promo promotion promotions",
}
KEYWORDS = {k: v.split("|")[0].split() + v.split("|")[1:] for k, v in KEYWORDS.items()}
KEYWORD_RE = {k: re.compile(r"\b(?:" + "|".join(map(re.escape, v)) + r")\b", re.I) for k, v in KEYWORDS.items()}

# ---------------------------------------------------------------- phrase banks
# Per label: req = direct requests, one [keyword] each; jar = jargon, sym = symptoms (both
# keyword-free); ps = a trailing aside that names this label's keyword (distractor); topic =
# what a negation denies. Items are separated by "|".
BANKS = {"A": {
    "greet": "hi|hello|hey there|good morning|hi team|hello Northwind|hey|good afternoon|dear support|hiya|morning all|evening folks",
    "close": "thanks|thank you!|cheers|appreciate it|thanks in advance|any help appreciated|ty|please advise|thanks so much, {name}|regards, {name}|- {name}|cheers, {name}",
    "pre": "I hope you're all keeping well, it's been a hectic week with the kids off school.|So I just got back from visiting my sister in {city} and it was lovely, the weather held up the whole time.|"
           "Long story short, our dog {pet} ate a sock yesterday and we spent the evening at the vet.|First of all I want to say {name} was really friendly when I rang last time.|"
           "I've been with you for {n} years and mostly been happy, my whole family uses you.|We just finished redecorating the living room and I finally have a bit of time to sort out admin.|"
           "I'm writing this on my lunch break so apologies if it's a bit rushed.|My grandson set all of this up for me a while ago and he's away at university now.|"
           "It's been raining in {city} for {n} days straight and I'm going a bit stir crazy.|I run a small bakery from home and the mornings are chaos, so forgive the late message.",
    "ref": "my customer number is {ref}.|customer no. {ref}.|(ref {ref})",
    "neg": "and no, this is not about {topic}.|just to be clear, this has nothing to do with {topic}.|(not a question about {topic}, before you ask.)|To be clear I'm not asking about {topic}.|this is NOT about {topic}, btw.",
    "billing": {"req": "I was [charged] {amount} twice in {month}, can you check?|why is my {month} [bill] {amount} higher than usual?|I'm still waiting on the [refund] of {amount} you promised on {date}.|"
                       "can I get a copy of the [invoice] for {month}?|my [payment] of {amount} on {date} hasn't shown up yet.|please explain the {amount} [charge] on my {month} statement.",
                "jar": "the ACH debit for {month} bounced, why?|there's a proration line of {amount} I don't understand on the {month} statement.|my autopay pulled {amount} twice on {date}.|can I get a credit memo for the {month} cycle?|"
                       "the SEPA mandate was collected twice on {date}.|why is there a {amount} true-up on the {month} cycle?",
                "sym": "I looked at my banking app and you took {amount} twice this month.|the amount you took on {date} is way more than it was in {month}.|you still owe me {amount} from when I paid twice in {month}.|why did {amount} leave my bank on {date} when I'd already paid?|"
                       "my bank shows two withdrawals of {amount} from you on {date}.|you took {amount} on {date} for a month I wasn't even with you.",
                "ps": "P.S. I love that the bill comes as a PDF now.|oh and my neighbour says your refund team is lovely.|btw the new invoice layout is much clearer.",
                "topic": "my bill|a refund|the charges on my invoice"},
    "outage": {"req": "is there an [outage] in {city}? nothing has worked since {time}.|our internet has been [down] since {time} today.|the whole street has been [offline] since {date}.|"
                      "is the [outage] on {street} going to be fixed tonight?|TV and broadband both went [down] in {city} at {time}.|everything's [offline] at {street} since {time}, neighbours too.",
               "jar": "the fiber cut near {street} took out our whole block?|traceroute dies at your first hop since {time}.|is the headend in {city} having problems? nobody on my street has sync.|DNS resolution failing across {city} since {time}.|"
                      "the CMTS in {city} seems saturated, {n}0% packet loss since {time}.|the fibre node on {street} looks unreachable since {time}.",
               "sym": "every evening the lights on the box blink and nothing loads, the neighbours say the same.|since {time} nothing loads on any of our gadgets and next door has the same problem.|"
                      "pages just spin for everyone in {city} since {time}.|no bars and no TV anywhere on {street} since {date}.|"
                      "the whole village went quiet at {time}, no streaming, no browsing, nothing.|our mobiles show no bars and the neighbours on {street} can't stream either.",
               "ps": "P.S. thanks for the quick fix during last year's outage.|by the way, your outage map is really handy.|btw my office was offline all week, nothing to do with you though.",
               "topic": "an outage|the internet being down"},
    "device": {"req": "my [router] keeps restarting every {n} minutes.|the [modem] you sent on {date} won't power on.|the wifi [router] has had a blinking red light since {time}.|"
                      "can I swap my old [modem] for a newer one? it's about {n} years old.|my new [handset] dies after {n} minutes.|the [device] you installed on {date} is making a buzzing noise.",
               "jar": "the ONT light is red since {time}.|my CPE reboots itself every {n} minutes.|the ethernet LED on the ONT went amber on {date}.|the firmware update on {date} bricked my CPE.|"
                      "the PSU on my ONT has been clicking since {date}.|the ONT shows LOS after {time} but my neighbours are fine.",
               "sym": "the little box you gave me gets really hot and switches itself off, the neighbours are fine.|the white box in the hall shows {n} orange lights while everyone else's works.|"
                      "the thing with the antennas smells like burning since {date}.|the gadget you mailed me on {date} is dead, no lights at all.|"
                      "the box by the telly keeps switching itself off and on, {n} times today.|the black box you posted on {date} won't show any lights when plugged in.",
               "ps": "P.S. your new phones look great.|btw the router I got from you years ago is still going strong.|oh and the modem looks nice on my shelf, ha.",
               "topic": "my router|the modem|a new phone"},
    "account": {"req": "I forgot my [password] and the reset email never comes.|can't [log in] to the app since {date}.|please change the [username] on my profile to {name}.|"
                       "my [login] stopped working after I changed my email on {date}.|how do I reset my [password]? tried {n} times.|someone changed my [password] on {date} and it wasn't me.",
                "jar": "need a 2FA reset, the OTP never arrives.|my SSO credentials got locked after {n} attempts.|please update the authorized user on file to {name}.|the OTP for my profile expired {n} times today.|"
                       "please re-verify my KYC details, they were rejected on {date}.|my MFA authenticator was wiped on {date}, need it re-enrolled.",
                "sym": "the website keeps saying my details are wrong and won't let me in.|I can't remember what I typed to get into the app last time.|"
                       "the app kicks me out and says the code is wrong, {n} times now.|please put {name} on file as able to speak for me.|"
                       "I got a new email address on {date} and want it on file.|the app logs me straight out again every time, {n} tries so far.",
                "ps": "P.S. the new login page looks much nicer.|by the way, love the new password rules, very secure.|btw my son still can't remember his username, typical.",
                "topic": "my password|my login"},
    "moving": {"req": "I'm [moving] to {street} on {date}, can my service come with me?|we [move] house on {date}, what do I need to do?|please put my service at my [new address], {street}.|"
                      "I'm [relocating] to {city} in {month}, can you set things up there?|we've [moved] to {street} and need the internet transferred.|how much notice do you need if I [move] in {month}?",
               "jar": "I need a transfer of service to {street} on {date}.|new premises at {street}, want a reconnect on {date}.|can you book a site survey for a new install at {street}?|please update my service location to {city} from {month}.|"
                      "need a CoA on the service order from {date}.|please raise a transfer order for the line to {city}.",
               "sym": "we get the keys to a flat on {street} on {date} and want the internet working there.|we're heading to {city} next month and want the same service at the new place.|"
                      "the house is sold and from {date} we'll live at {street}.|my job is taking us to {city} in {month}, can things follow us?|"
                      "we're swapping {city} for the seaside in {month} and want the broadband to come too.|we've bought a bungalow on {street}, completion is {date}.",
               "ps": "P.S. my sister is moving next month too, crazy times.|btw we might move abroad in a few years, who knows.|oh and my friend just relocated to {city}, loves it.",
               "topic": "moving house|a move"},
    "cancellation": {"req": "I want to [cancel] my contract at the end of {month}.|please [cancel] my broadband from {date}.|how do I [cancel] without a fee? contract ends {month}.|"
                            "I'd like to [terminate] my service from {date}.|what's the [cancellation] process? I want out by {date}.|please confirm the [cancellation] of my TV package from {date}.",
                     "jar": "please send me the port-out PIN.|I need my number ported to another carrier by {date}.|what's the ETF if I leave before {month}?|please process a churn request effective {date}.|"
                            "please issue a PAC code for my mobile by {date}.|I want a full cease on the line from {date}.",
                     "sym": "I don't want your service anymore after {month}, please stop it.|I'd like to stop being a customer at the end of {month}.|"
                            "I've signed with another provider, please end everything on {date}.|we won't need you after {date}, how do I stop it all?|"
                            "I'm going with a rival from {month}, so please stop everything.|after {date} I don't want to be your customer any more.",
                     "ps": "P.S. my mate says your cancellation staff were very polite to him.|btw I had to cancel a holiday this year, so I'm a bit grumpy.|oh and my gym let me cancel online, so easy.",
                     "topic": "cancelling anything|a cancellation"},
    "sales": {"req": "I'd like to [upgrade] to the {speed} plan.|are there any [deals] for existing customers this {month}?|what [offers] do you have on TV and broadband together? I'm at {street}.|"
                     "can I [upgrade] my mobile to unlimited data from {date}?|saw the [promotion] for {speed} fibre, am I eligible?|is the {speed} [deal] available on {street}?",
              "jar": "what's the MRC on the {speed} tier?|is there a bundle with more Mbps than my current tier at {street}?|can I add a second SIM line with a {n}GB data cap?|looking to go from 300 Mbps to {speed}, what's the price?|"
                     "can I add an eSIM line to my tier from {month}?|do you have a triple-play bundle with {speed} at {street}?",
              "sym": "my neighbour gets {speed} for less than me, what can you do?|I'd like to get TV as well, what would that look like from {month}?|"
                     "I want faster speeds than I have now, {speed} ideally.|what could I add for my kids, maybe {n} more SIMs?|"
                     "we'd like to add movies and sport to what we have, what would it cost from {month}?|my {n} teenagers keep running out of data, can we get more?",
              "ps": "P.S. saw your Christmas deals on TV, nice ad.|by the way, the upgrade my brother got from you was great.|btw your shop window offer made me laugh.",
              "topic": "an upgrade|any deals or offers"},
}, "B": {
    "greet": "Hello there|Greetings|Good day|To whom it may concern|Hi folks|Yo|Hey Northwind team|Salutations|Hi, hope you're well|Afternoon|Dear Northwind|Howdy",
    "close": "Many thanks|Kind regards|Best|Thanks a bunch|Looking forward to hearing back|Grateful for any assistance|Thx|Best wishes, {name}|Sincerely, {name}|Warmly, {name}|Talk soon|Ta",
    "pre": "Before I get to it, it's been quite a month: we welcomed a new baby in {month}.|Quick bit of background, I'm a retired teacher and not very good with technology.|"
           "My neighbour {name} recommended I write in rather than wait on hold.|We've just come back from a camping trip near {city}, absolutely exhausted but happy.|"
           "Hope your day is going better than mine, my car got a flat tyre this morning.|I volunteer at the food bank on weekends so I rarely get time for this sort of thing.|"
           "Apologies in advance for the essay, my daughter says I always over-explain.|It's my birthday today, {n} years young, and I'm spending part of it writing to you.|"
           "Our cat {pet} has been poorly so the household has been a little chaotic.|I work night shifts at the hospital in {city}, so I'm sending this at an odd hour.",
    "ref": "Client ID: {ref}.|Quoting reference {ref}.|My membership number is {ref}.",
    "neg": "Please note this isn't regarding {topic}.|I should add it's got no connection to {topic} at all.|Nothing here relates to {topic}, by the way.|This isn't a query about {topic} either.|And it is definitely not {topic} I'm after.",
    "billing": {"req": "The [invoice] dated {date} lists {amount} and I think that's wrong.|Requesting a [refund] for the {amount} taken in error during {month}.|My [bill] jumped by {amount} this cycle without explanation.|"
                       "Could someone look at an extra [charge] of {amount} that appeared in {month}?|I made a [payment] on {date} yet the portal says I still owe {amount}.|It seems I was [overcharged] by {amount} for {month}.",
                "jar": "My DD got returned by the bank on {date}.|I see a duplicate auth hold of {amount} on my card.|What is this pro-rata adjustment of {amount} for {month}?|The dunning emails keep arriving though I settled {amount} on {date}.|"
                       "My standing order of {amount} bounced on {date}.|What's the accrual of {amount} carried over from {month}?",
                "sym": "{amount} came out of my bank on {date} and I have no idea what for.|Money left my card twice on {date}, both times {amount}.|"
                       "I settled up in {month} but a reminder for {amount} still arrived.|My statement from the bank shows you taking {amount} extra on {date}.|"
                       "The bank says you pulled {amount} on {date}, which I never agreed to.|Last {month} cost me {amount} and this one almost double, why?",
                "ps": "Side note: the invoice emails look very smart now.|Unrelated, but my dad finally switched to paperless billing and loves it.|Also, whoever handled my mum's refund last year was brilliant.",
                "topic": "the invoice|any payment|a billing error"},
    "outage": {"req": "Reporting an [outage] affecting {street} from about {time}.|Service has been [down] across {city} for {n} hours now.|Everything at home went [offline] around {time} on {date}.|"
                      "Any ETA on the [outage] in the {city} area?|Our connection has been [down] since {date}, is it a known issue?|Several houses on {street} are [offline] since {time}.",
               "jar": "Seeing 100% packet loss beyond the first hop since {time}.|The node serving {city} looks dark on downdetector.|BGP seems broken on your side, nothing routes since {time}.|Latency spiked to 2000ms for everyone on {street}.|"
                      "Getting DHCP timeouts and no upstream since {time}, same for the whole estate.|Is there an MSAN fault in {city}? Sync dropped at {time}.",
               "sym": "Nobody in our building can load a single page since {time}.|The whole of {street} lost TV and web at once around {time}.|"
                      "My neighbours and I all lost signal at {time}, it's still not back.|Since {date} all of {city} seems cut off, mobile data included.|"
                      "Since {time} nobody on {street} can stream or browse, it's the entire road.|Our whole estate in {city} lost the web at {time}, still waiting.",
               "ps": "Side note: the outage texts you sent last winter were genuinely useful.|Unrelated, my office had an outage last week, total chaos.|Also, the status page said offline for my cousin's town, hope they're sorted.",
               "topic": "a service outage|being offline"},
    "device": {"req": "The [router] you shipped has a dead LAN port.|Need a replacement [modem], mine overheats after {n} minutes.|My [handset] screen went black after the update on {date}.|"
                      "Which lights should be on on the [router]? Mine shows {n} orange ones.|The [equipment] in the hallway cupboard clicks and resets every {n} minutes.|My [phone] bought from Northwind on {date} won't connect to wifi.",
               "jar": "The optical terminal shows LOS in red since {date}.|My DOCSIS gateway won't provision after {time}.|The customer-premises gear is stuck in a boot loop.|Need the MAC binding cleared after I swapped units on {date}.|"
                      "The ONU's PON LED is blinking since {date}.|My mesh satellite shows a solid amber LED after {time}.",
               "sym": "The unit you supplied makes a whining noise and then goes dark, next door is fine.|Only my box is broken, the neighbours' connection works normally.|"
                      "The plastic case on the thing you installed on {date} has cracked and it won't start.|The gadget by the TV shows {n} flashing lights and my friends on {street} are fine.|"
                      "The box under my desk has a broken power socket since {date}.|My kit from you has {n} dead lights while the rest of {street} is online.",
               "ps": "Side note: my kids are obsessed with the handset in your shop window.|Unrelated, but the modem colour matches our wallpaper, ha.|Also, my uncle still uses the router you sold him in the nineties.",
               "topic": "a faulty modem|my handset|any equipment"},
    "account": {"req": "The [login] page rejects me every time, since {date}.|I'd like to update the [username] to {name} please.|Locked after {n} wrong [password] attempts, how do I get back in?|"
                       "I cannot [sign in] to My Northwind on any browser since {date}.|Please help me recover my [username], I lost track of it in {month}.|My [password] reset link expired before I could use it.",
                "jar": "MFA codes aren't reaching me since {date}.|The SSO token expired and the portal refuses me.|Need to add {name} as a secondary authorized contact.|My credentials got flagged for a security hold on {date}.|"
                       "My SSO session loops back to the portal after {n} redirects.|Please reset my security questions, the KBA failed on {date}.",
                "sym": "The portal says my details don't match, yet I typed them {n} times.|I can't get into my online area, it says the code is invalid.|"
                       "Please let {name} manage things on my behalf.|The app won't accept my secret word anymore since {date}.|"
                       "My surname changed when I got married in {month}, please update my details.|Your website refuses the code it texts me, {n} attempts so far.",
                "ps": "Side note: my wife always forgets her password for everything.|Unrelated: nice job on the new sign in screen.|Also, my teenager changed his username {n} times this year, kids.",
                "topic": "the login|resetting a password"},
    "moving": {"req": "Our family is [moving] to {city} once {month} is over.|Could you transfer my service to the [new address] at {street} from {date}?|We [relocate] on {date}, please arrange the switch.|"
                      "Planning a [move] to {street} in {month}, what are the steps?|Just [moved] in on {street}, how do we bring the line over?|Is there a fee to [relocate] the service to {city}?",
               "jar": "Please shift my installation to the {street} premises from {date}.|Schedule a reconnect at {street}, the old unit is vacated {date}.|Can the install order follow me to {city}?|Requesting a change of service address to {street}.|"
                      "Please raise a home-mover order for {street}, effective {date}.|I need a change-of-tenancy switch to {street} on {date}.",
               "sym": "From {date} we live at {street}, can we keep the same package there?|We bought a house in {city} and want to take everything along in {month}.|"
                      "Our lease ends {date} and the new flat is on {street}.|The kids and I are off to {city} in {month}, will it work there?|"
                      "The removal van comes on {date}, we're going to {city}.|We arrive at the new place on {street} on {date}, will our package be there?",
               "ps": "Side note: our neighbours are moving out soon, sad to see them go.|Unrelated, but relocating the office next door has been noisy.|Also my brother moved to {city} and can't stop talking about it.",
               "topic": "relocating|my new address"},
    "cancellation": {"req": "Kindly [cancel] everything on my plan effective {date}.|I need to [terminate] the contract before {month}.|Requesting [cancellation] of my mobile line as of {date}.|"
                            "Can you [cancel] the landline and send confirmation by {date}?|Submitting my [cancellation] notice today, last day {date}.|Is it possible to [cancel] mid-contract in {month}? I've had enough.",
                     "jar": "Requesting a port authorization code for my number.|How big is the ETF should I bail in {month}?|Please give me the number transfer code so I can go elsewhere by {date}.|Submit a full disconnect order effective {date}.|"
                            "Please action a STAC request on my mobile before {date}.|Raise a ceasing request for all services, effective {date}.",
                     "sym": "I've found a cheaper provider and won't need you from {date}.|Please end our relationship after {month}, it's not working for us.|"
                            "From {date} I no longer want any of your products.|How do I stop being with you at all by {month}?|"
                            "My sister's provider is cheaper so I'm off from {month}, stop my services.|I'm done with Northwind after {date}, wrap it all up please.",
                     "ps": "Side note: the concert I wanted got cancelled, gutted.|Unrelated, I had to cancel my dentist appointment today.|Also, cancellation fees at my gym are outrageous, not yours.",
                     "topic": "a cancellation request|terminating anything"},
    "sales": {"req": "Thinking of an [upgrade], what does {speed} cost?|Do you have a [promo] for adding a second line from {month}?|Interested in the [offer] I saw on your site for {speed}.|"
                     "What's the best [deal] you can do if I add TV at {street}?|Could I [upgrade] the whole household to {speed}?|Is there a student [promotion] running in {month}?",
              "jar": "Quote me the monthly recurring cost for the {speed} tier.|Can I bolt on a streaming add-on from {month}?|I'd like a quote for a multi-line bundle with {n} SIMs.|What's the tier above my current {speed}?|"
                     "Do you do a quad-play bundle including {speed}?|I'd like a quote on adding an eSIM for my watch from {month}.",
              "sym": "My cousin pays less for {speed}, can I get something like that?|We'd love sports channels in the house too, what are the options from {month}?|"
                     "Could I get more data for the {n} of us, and quicker web?|What else can you sell me, thinking of a {speed} line?|"
                     "The ads mention faster speeds, could I have {speed} at {street}?|I want the sports channels plus more data for the {n} of us.",
              "ps": "Side note: that upgrade ad with the dog made me laugh.|Unrelated, your shop had a great promo on headphones.|Also, my colleague keeps bragging about his deal with you.",
              "topic": "upgrading|a promo"},
}}
BANKS = {b: {k: (v.split("|") if isinstance(v, str) else {kk: vv.split("|") for kk, vv in v.items()})
             for k, v in bank.items()} for b, bank in BANKS.items()}

NAMES = "Priya Tom Aisha Marek Chloe Diego Fatima Liam Mei Oskar Grace Ravi Zoe Kwame Hannah Yusuf Ines Pavel Sofia Ben".split()
PETS = "Biscuit Luna Max Pepper Milo Daisy Rocky Nala Ziggy Tilly".split()
CITIES = "Ashford Brookvale Carlow Denby Elmhurst Fairport Glenmoor Harwick Ivybridge Kestrel Lindale Marsh".split()
STREETS = "Oak Mill Station Church Willow Harbour Kings Elm Victoria Chapel Park Bridge".split()
MONTHS = "January February March April May June July August September October November December".split()
SPEEDS = ["500 Mbps", "1 gig", "2 gig", "900 Mbps", "150 Mbps", "gigabit", "5G unlimited", "full fibre"]


def _fill(rng: random.Random, text: str) -> str:
    """Replace each {slot} with a random value (names, amounts, dates, streets...)."""
    slots = {
        "name": lambda: rng.choice(NAMES), "pet": lambda: rng.choice(PETS), "city": lambda: rng.choice(CITIES),
        "n": lambda: str(rng.randint(2, 12)), "ref": lambda: str(rng.randint(100000, 999999)),
        "month": lambda: rng.choice(MONTHS), "speed": lambda: rng.choice(SPEEDS),
        "amount": lambda: f"${rng.randint(5, 240)}.{rng.randint(0, 99):02d}",
        "date": lambda: f"{rng.choice(MONTHS)} {rng.randint(1, 28)}",
        "time": lambda: f"{rng.randint(1, 12)}:{rng.choice(['00', '15', '30', '45'])}{rng.choice(['am', 'pm'])}",
        "street": lambda: f"{rng.randint(2, 199)} {rng.choice(STREETS)} {rng.choice(['Road', 'Street', 'Lane', 'Avenue', 'Close'])}",
    }
    return re.sub(r"\{(\w+)\}", lambda m: slots[m.group(1)](), text)


def _misspell(rng: random.Random, word: str) -> str:
    """'refund' -> 'refnud' / 'refud' / 'reffund': a swap, a drop or a doubled letter, never a keyword."""
    for _ in range(50):
        i, op = rng.randrange(1, len(word) - 1), rng.choice("sdd" if len(word) < 4 else "ssdx")
        w = (word[:i] + word[i + 1] + word[i] + word[i + 2:] if op == "s" else
             word[:i] + word[i + 1:] if op == "d" else word[:i] + word[i] + word[i:])
        if w.lower() != word.lower() and not any(r.search(w) for r in KEYWORD_RE.values()):
            return w
    raise ValueError(f"cannot misspell {word!r}")


def _keyword(rng: random.Random, core: str, typo: bool) -> str:
    """Resolve the [keyword] marker: drop the brackets, or misspell the keyword's longest word."""
    def sub(m):
        if not typo:
            return m.group(1)
        words = m.group(1).split(" ")
        j = max(range(len(words)), key=lambda k: len(words[k]))
        words[j] = _misspell(rng, words[j])
        return " ".join(words)
    return re.sub(r"\[([^\]]+)\]", sub, core)


def _sentence(s: str) -> str:
    return s[:1].upper() + s[1:]


def generate_example(rng: random.Random, label: str, phenomenon: str, bank: str = "A", id: str = "") -> Example:
    """One message of `label` showing `phenomenon`, written from phrase bank `bank` ("A" or "B")."""
    if label not in LABELS or phenomenon not in PHENOMENA or bank not in BANKS:
        raise ValueError(f"unknown label/phenomenon/bank {label!r}/{phenomenon!r}/{bank!r}; "
                         f"use one of {LABELS} / {PHENOMENA} / {list(BANKS)}")
    B, L = BANKS[bank], BANKS[bank][label]
    # 1. the body: what the customer needs, phrased as the phenomenon says
    body = {"jargon": "jar", "indirect": "sym"}.get(phenomenon, "req")
    parts = [_keyword(rng, rng.choice(L[body]), typo=phenomenon == "typo")]
    if phenomenon == "preamble":
        parts[:0] = rng.sample(B["pre"], rng.choice([1, 1, 2]))
    if rng.random() < 0.25:
        parts.insert(0, rng.choice(B["ref"]))
    # 2. the misleading tail: another department's keyword, always last in the message
    other = rng.choice([l for l in LABELS if l != label])
    if phenomenon == "negation":
        topic = rng.choice(BANKS[bank][other]["topic"])
        parts.append(rng.choice(B["neg"]).replace("{topic}", topic))
    elif phenomenon == "distractor":
        parts.append(rng.choice(BANKS[bank][other]["ps"]))
    # 3. optional greeting and (except after a misleading tail) a closing line
    parts = [_sentence(_fill(rng, p)) for p in parts]
    if phenomenon not in ("negation", "distractor") and rng.random() < 0.5:
        parts.append(_sentence(_fill(rng, rng.choice(B["close"]))))
    if rng.random() < 0.6:
        sep = rng.choice([",", "!", ".", ""])
        # subtle: after "hi," the message goes on in lowercase ("hi, the router..."), but "I" and "TV" stay
        if sep in (",", "") and parts[0][1:2].islower():
            parts[0] = parts[0][0].lower() + parts[0][1:]
        parts.insert(0, rng.choice(B["greet"]) + sep)
    text = " ".join(parts)
    # 4. informal variants: all lowercase, or the final full stop dropped
    r = rng.random()
    text = text.lower() if r < 0.2 else text[:-1] if r < 0.3 and text.endswith(".") else text
    return Example(id=id, input=text, output=label, tags=[phenomenon], meta={"bank": bank})


class BundledTask(LabelTask):
    """The helpdesk routing task: answer with one department name."""

    def __init__(self):
        super().__init__("helpdesk", LABELS, description=DESCRIPTION, max_new_tokens=6, system_prompt=(
            f"You route customer messages for {COMPANY}. Answer with exactly one department: "
            + ", ".join(LABELS) + "."))


def _plan(rng: random.Random, counts: dict) -> list[tuple[str, str]]:
    """(label, phenomenon) pairs: labels balanced within each phenomenon, the rest at random."""
    plan = []
    for ph in PHENOMENA:
        n = counts[ph]
        plan += [(lab, ph) for lab in LABELS * (n // len(LABELS)) + rng.sample(LABELS, n % len(LABELS))]
    rng.shuffle(plan)
    return plan


def generate_splits(seed: int = 0) -> dict[str, list[Example]]:
    """train (the seed set, rare phenomena rare) / validation / test, all from bank A, no duplicates."""
    rng, seen, out = random.Random(seed), set(), {}
    for split, counts in SPLIT_COUNTS.items():
        out[split] = []
        for i, (label, ph) in enumerate(_plan(rng, counts), 1):
            # re-draw until the input is new within and across splits
            for _ in range(1000):
                ex = generate_example(rng, label, ph, "A", id=f"hd-{split}-{i:04d}")
                if normalize_text(ex.input) not in seen:
                    break
            else:
                raise RuntimeError(f"could not draw a new {label}/{ph} message; add templates to bank A")
            seen.add(normalize_text(ex.input))
            out[split].append(ex)
    return out


def _counts(exs: list[Example]) -> dict[str, int]:
    return {ph: sum(e.tags == [ph] for e in exs) for ph in PHENOMENA}


NOTES = {"direct": "a plain request with its department's keyword",
         "preamble": "an irrelevant life story or pleasantries before a direct request",
         "typo": "the department keyword misspelled",
         "jargon": "trade jargon instead of the common keyword",
         "negation": "ends by denying another department's keyword",
         "distractor": "ends with an unrelated aside naming another department's keyword",
         "indirect": "no keyword: the need is described by its symptom"}


def data_card(splits: dict[str, list[Example]], seed: int = 0) -> str:
    """The README.md of data/bundled: task, labels, phenomena with an example, counts."""
    c = {s: _counts(exs) for s, exs in splits.items()}
    sample = {ph: next(e.input for e in splits["test"] if e.tags == [ph]) for ph in PHENOMENA}
    gold = {ph: next(e.output for e in splits["test"] if e.tags == [ph]) for ph in PHENOMENA}
    lines = [
        f"# Bundled task: {COMPANY} helpdesk routing", "",
        "Synthetic customer messages to a fictional telecom/ISP helpdesk, each routed to one of 7",
        "departments. The student answers by generating the department name (one lowercase word).", "",
        "## Labels", "", *[f"- `{k}`: {v}" for k, v in DEPARTMENTS.items()], "",
        "## Hidden phenomena", "",
        "Each example has exactly one phenomenon tag in `tags`. Tags are hidden from the student:",
        "they never appear in the input text or the prompt; they exist to score the pattern analysis.", "",
        "| phenomenon | what it is | example (test split) | gold |", "|---|---|---|---|",
        *[f"| {ph} | {NOTES[ph]} | {sample[ph].replace('|', '/')} | {gold[ph]} |" for ph in PHENOMENA], "",
        "## Sizes", "", "| phenomenon | " + " | ".join(splits) + " |", "|---|" + "---|" * len(splits),
        *[f"| {ph} | " + " | ".join(str(c[s][ph]) for s in splits) + " |" for ph in PHENOMENA],
        "| **total** | " + " | ".join(str(len(exs)) for exs in splits.values()) + " |", "",
        f"The seed set (`train`) under-represents {', '.join(RARE_IN_SEED)}; validation and",
        "test cover every phenomenon evenly, and labels are balanced within each phenomenon.",
        "No input repeats within or across splits. Each line of a `.jsonl` file is one example:",
        "`id`, `input`, `output` (the label), `tags`, `target` (null), `meta` (`bank`).", "",
        "## Regenerate", "", f"`python -m pada_lite.tasks.bundled` (seed {seed}) rewrites these files and this card;",
        "`tests/test_bundled.py` checks that they match the generator.",
        "All splits come from phrase bank A; bank B (disjoint sentence templates) is reserved for the",
        "simulated teacher, so its generated data never shares templates with validation or test.", ""]
    return "\n".join(lines)


def write_data(out_dir="data/bundled", seed: int = 0) -> dict[str, list[Example]]:
    """Write train/validation/test.jsonl and README.md into `out_dir`; return the splits."""
    out, splits = Path(out_dir), generate_splits(seed)
    for name, exs in splits.items():
        write_jsonl(out / f"{name}.jsonl", exs)
    atomic_write_text(out / "README.md", data_card(splits, seed))
    return splits


def default_data_dir() -> Path:
    """$PADA_DATA_DIR (or its bundled/ subfolder) if set, else the repo's data/bundled."""
    env = os.environ.get("PADA_DATA_DIR")
    if env:
        return Path(env) / "bundled" if (Path(env) / "bundled" / "train.jsonl").exists() else Path(env)
    return Path(__file__).resolve().parents[2] / "data" / "bundled"


def load_splits(data_dir=None):
    """Read the committed JSONL files into `Splits`."""
    d = Path(data_dir) if data_dir is not None else default_data_dir()
    if data_dir is None and not os.environ.get("PADA_DATA_DIR") and not (d / "train.jsonl").exists():
        # an installed kit (pip, Colab) has no data/ folder: the seeded generator gives the same
        # examples as the committed files (tests/test_bundled.py checks both ways)
        gen = generate_splits(0)
        return Splits(train=gen["train"], validation=gen["validation"], test=gen["test"])
    splits = {}
    for name in SPLIT_COUNTS:
        path = d / f"{name}.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing; run `python -m pada_lite.tasks.bundled` to write it")
        splits[name] = [Example.from_dict(row) for row in read_jsonl(path)]
    return Splits(train=splits["train"], validation=splits["validation"], test=splits["test"])


if __name__ == "__main__":
    _out = Path(__file__).resolve().parents[2] / "data" / "bundled"
    _splits = write_data(_out)
    print(f"wrote {_out}: " + ", ".join(f"{k} {len(v)}" for k, v in _splits.items()))
