"""A third large-index shape: operators' own Notion pages, exported to markdown.

:func:`notes` writes one monolith (``# title``, a short intro, then ``domains`` sections
under ``## `` headings) out of nothing but the word lists and rules in this module. It was
written apart from the other two generators of ``bench.index`` (the demo's domains copied,
and the example indexes recombined) and draws no text from ``examples/``, so that speed and
memory are not measured only on text shaped by the hand that tunes the code.

The shape is the one a tidy wiki is not: long pages with few or no sub-headings (a running
meeting-notes page, a decision log kept as a table, pasted emails with quoted replies, a
runbook of numbered steps with nested bullets and code, a CRM table of many rows, a changelog
stream), some domains with ``###``/``####`` headings several levels deep and some with none,
bold lines standing in for headings, and Notion's export quirks: ``<aside>`` callouts,
``<details>`` toggles, ``notion.so`` links, ``Property: value`` lines, whitespace-only lines
in lists, a code block nested in a list item. Dates come in a dozen formats, amounts in
several currencies, with invoice and ticket numbers, phones, emails, URLs, names with
diacritics, a few CJK names and emoji, curly quotes and dashes, pasted log lines and JSON
blobs of 1 to 3 KB on one line, and code fences whose ``#`` comments are not headings.

Vocabulary grows with size: people, companies, products, places and codes are drawn from
invented pools of hundreds of thousands with a long-tailed (log-uniform) draw, over about
2,500 ordinary English words listed below. Everything comes from one ``random.Random(seed)``:
the same seed gives the same text, whatever ``PYTHONHASHSEED`` is.

    from bench.notes import notes
    text = notes(20_000_000)        # about 20 MB, 40 domains
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Callable, Generator
from datetime import date

_Page = Generator[str, None, None]


def _words(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(text.split()))


# -- ordinary English, written for this module -------------------------------------------------

NOUNS = _words("""
account accountant acquisition action activity adapter address adjustment admin advance
advantage advert advice agency agenda agent agreement aircraft airline airport alarm album
alert allocation allowance amount analysis analyst anchor angle announcement answer apartment
app appeal appetite apple application appointment approach approval apron archive area
argument arm arrangement arrival article artist asset assignment assistant assumption
attachment attempt attendance attention attitude attorney auction audience audit author
authority automation average award backend backlog backup badge bag baggage balance ball band
bank banner bar bargain barrel base basement basis basket batch bath battery beach beam bean
bed behaviour bell belt bench benchmark benefit bet bicycle bid bill billing bin bird birthday
bit blade blanket block blog blueprint board boat body boiler bolt bond bonus book booking
boot border bottle bottleneck bottom bowl box brain branch brand bread break breakfast brick
bridge brief briefing broker browser bucket budget buffer bug builder building bulb bulletin
bunch bundle bureau burden bus business button buyer cabinet cable cache cafe cake calendar
call camera campaign campus canal candidate cap capacity capital captain car carbon card care
career cargo carpet carrier cart case cash cashier cashflow catalogue category cause ceiling
cell cellar centre certificate chain chair challenge champion chance change channel chapter
charge chart charter chat check checklist checkout cheese chef chemical cheque chicken chief
chip choice circle citizen city claim class classroom clause cleaner clerk click client
cliff climate clinic clock closet cloud club cluster coach coast coat code coffee coin collar
colleague collection college colour column combination comfort command comment commission
commitment committee commodity community company comparison compensation competition
competitor complaint component compound compressor computer concept concern concert
conclusion condition conference confidence configuration confirmation conflict connection
connector consensus consent consequence console constraint consultant consumer contact
container content contest context contract contractor contribution control convention
conversation conversion cook cookie copy core corner corporation correction cost costume
cottage couch council count counter country county coupon courier course court cousin cover
coverage crane crash cream credit crew crisis criterion critic crop cross crowd crown cruise
cup cupboard curve cushion customer customs cut cycle dance dashboard data database date
deadline deal dealer debate debit debt decade decision deck declaration deduction default
defect deficit degree delay delegate delivery demand demo department departure deposit depot
deputy description design designer desk destination detail developer device diagram dialogue
diary diet difference dinner diploma direction director discount discussion dish disk display
dispute distance distributor district dock doctor document domain donation door dose draft
drain drawer drawing dress drink driver drone drop drum duty earning earth ease economy edge
edition editor education effect effort egg election electricity element elevator email
embassy emergency employee employer encounter end endpoint energy engine engineer enquiry
entrance entry envelope environment episode equipment error escalation essay estate estimate
event evidence exam example exception exchange excuse executive exercise exhibit exit
expansion expense experience experiment expert export exposure extension extract eye fabric
face facility factor factory failure fair family fan farm farmer fashion fault favour fear
feature fee feedback fence festival fever field figure file filter finance finding fine
finger fire firm fish fitness fix flag flat fleet flight floor flow flower fluid focus folder
follower food foot force forecast forest fork form format formula fortune forum foundation
founder fountain frame framework freight fridge friend front fruit fuel function fund funding
funnel furniture future gadget gain gallery game gap garage garden gas gate gateway gear
generator gift glass glove goal gold golf goods government grade graduate grain grant graph
grass grid grocery ground group growth guarantee guard guest guide guideline habit hair half
hall hammer hand handbook handle handover harbour hardware hat head headline headquarters
health hearing heart heat heater height helicopter helmet help highway hill hint hire history
hobby holder holiday home hook horizon horse hospital host hotel hour house household housing
hub hunger hypothesis ice icon idea identity image impact import improvement incentive inch
incident income increase index indicator industry infrastructure ingredient initiative injury
inquiry insight inspection inspector instance institute instruction insurance integration
intern interest interface interview inventory investment investor invitation invoice island
issue item jacket jar job joint journal journey judge juice jump junction jury kernel kettle
key keyboard kit kitchen knife knowledge label laboratory labour ladder lake lamp land
landlord language laptop launch law lawn lawyer layer layout lead leader leadership league
lease leather lecture ledger leg legacy lemon lender lesson letter level liability library
licence lid lift light limit line link liquid list listing literature load loan lobby
location lock locker log logic logistics logo loss lot lounge lunch machine magazine mailbox
maintenance major majority manager manual manufacturer map margin market marketing match
material matrix matter meal measure meat mechanic media meeting member membership memo memory
mention menu merchant merger message metal meter method metric midnight migration mile
milestone milk mill mind minimum minister minute mirror mission mistake mix mobile mode model
module moment money monitor month mood morning mortgage motor mountain mouse move movie mug
museum music nail name nation nature neck need negotiation neighbour nest net network news
newsletter night node noise note notebook notice notification novel number nurse object
objective obligation observation occasion offer office officer oil operation operator opinion
opportunity option orange order organisation origin outage outcome outlet outline output oven
owner package packet page pain paint pair palace panel paper paragraph parcel parent park
parking part partner partnership party passenger passport password patch path patient pattern
pause payment payroll peak pen penalty pension people pepper percentage performance period
permission permit person phase phone photo phrase piano picture piece pier pilot pipeline
pitch pizza place plan plane planet plant plastic plate platform player pleasure plot plug
pocket poem point policy pool population port portal portfolio position post postcard poster
pot potato pound powder power practice prediction preference premium preparation presence
present presentation president press pressure price pride principle print printer priority
privacy prize problem procedure process produce product production profession professor
profile profit program progress project promise promotion proof property proposal prospect
protection protocol provider province pub public publisher pump purchase purpose puzzle
quality quantity quarter query question queue quota quote race rack radio rail railway rain
range rank rate ratio reach reader reading reason rebate receipt reception recipe record
recovery recruit reduction reference refund region register regulation relation release
relief reminder removal rent repair replacement reply report repository request requirement
research reservation reserve resident resolution resource response restaurant result retailer
retention retreat return revenue review reward rhythm rice ride ring risk river road roadmap
robot rock role roll roof room root rope rota round route router routine row rule runbook
runway sack safety salad salary sale salesperson salt sample sand satellite sauce saving
scale scanner schedule scheme school science scope score screen script sea search season
seat second secret secretary section sector security seed segment seller seminar sender
sense sentence sequence series server service session setting settlement shape share shelf
shell shelter shift ship shipment shirt shock shoe shop shortage shoulder show shower side
sign signal signature silver simulation sink site situation size sketch skill sky slide slot
snapshot soap society sock sofa software soil solution song sort sound soup source space
speaker specialist speech speed spend sponsor spot spreadsheet spring sprint square squad
stadium staff stage stake stakeholder stall stamp standard star start state statement station
statistic status step stick stock stone stop storage store storm story stove strategy stream
street strength stress strike string structure student studio study style subject submission
subscriber subscription subsidy success suggestion suit summary summer supermarket supervisor
supplier supply support surface surgeon surgery surplus survey switch symbol symptom system
table tablet tag tail talent talk tank tap target task taste tax taxi tea teacher team
technician technique technology telephone television template tenant tender term terminal
territory test text theatre theme theory thing thread threshold ticket tide tile timeline
timer tip title toast tool tooth topic total tour tower town toy track trade trader traffic
trailer train trainer training transaction transfer transition translation transport trap
travel tray treasury treatment tree trend trial trick trigger trip trolley truck trust truth
tube tunnel turn tutor type tyre uniform union unit university update upgrade upload usage
user utility vacancy vacuum valley value van variable variant vehicle vendor venue version
vessel video view village visa visit visitor voice volume volunteer vote voucher wage wagon
waiter wall wallet warehouse warning warranty washer waste watch water wave way weakness
wealth weather web website wedding week weekend weight welcome wheel whistle widget width
wind window wine wing winner winter wire witness wood word work worker workflow workshop
world worry writer yard year yield zone
""")

#: Words of the trade, lower case as people type them (some are shouted in notes anyway).
JARGON = _words("""
api sdk dns ssl tls vpn sso oauth webhook cron kubernetes terraform postgres redis kafka
lambda staging prod hotfix rollout canary rollback failover uptime latency throughput
backfill sandbox tenant shard replica quorum cutover runbook on-call pager escalation
postmortem retro standup okr kpi sla slo sli nps churn arr mrr cac ltv cogs ebitda capex opex
gmv aov sku rma eta etd incoterms fob cif pallet forklift backorder dropship fulfilment
procurement payables receivables accrual reconciliation chargeback dunning proration invoice
upsell cross-sell pipeline forecast quota territory renewal onboarding offboarding headcount
payroll benefits pto parental-leave visa relocation compliance gdpr soc2 iso27001 dpa nda msa
sow po rfp rfq vat gst w-9 1099 kyc aml pci hipaa audit-log retention deprecation migration
schema index vacuum deadlock timeout retry idempotency queue worker cronjob scheduler ingress
egress firewall subnet bucket blob cdn cache-hit ttl dashboard alerting grafana pagerduty
datadog sentry jira linear zendesk intercom hubspot salesforce stripe quickbooks xero netsuite
shopify figma miro slack zoom gsuite okta 1password lastpass docusign greenhouse lever rippling
gusto deel remote contractor freelancer agency retainer milestone deliverable backlog sprint
epic story spike blocker dependency roadmap launch beta ga sunset feature-flag a/b cohort
funnel attribution utm seo sem cpc cpm ctr roas landing-page newsletter webinar podcast
""")

VERBS = _words("""
accept access accommodate achieve acknowledge acquire act adapt add address adjust admit adopt
advance advertise advise afford agree aim alert align allocate allow amend analyse announce
answer anticipate apologise appeal appear apply appoint appreciate approach approve archive
argue arrange arrive ask assemble assess assign assist assume attach attempt attend attract
audit authorise automate avoid await back backfill balance ban bargain base batch bear beat
become begin believe belong benchmark bill block board book boost borrow bounce box brainstorm
break brief bring broadcast browse budget build bump bundle burn buy calculate call calibrate
cancel capture care carry cast catch categorise cause celebrate centralise certify challenge
change charge chase check choose circulate cite claim clarify classify clean clear click
climb clone close coach code collaborate collapse collect combine come comment commit
communicate compare compensate compete compile complain complete comply compose compress
compute concentrate conclude conduct configure confirm connect consider consolidate construct
consult consume contact contain continue contribute control convert convince cook coordinate
copy correct cost count cover crash create credit cross cut damage deal debate debug decide
declare decline decrease dedupe deduct defer define delay delegate delete deliver demand
demonstrate deny depend deploy deposit deprecate describe design destroy detect determine
develop diagnose dig direct disable disagree discover discuss dismiss dispatch display
dispute distribute divide document donate double download draft drag draw drive drop earn
edit educate eliminate email embed emerge emphasise employ enable encourage end endorse
enforce engage enhance enjoy enrol ensure enter escalate establish estimate evaluate examine
exceed exchange exclude execute exercise exist expand expect expedite experiment expire
explain explore export expose extend extract face facilitate fail fall fax feature feed fetch
fight file fill filter finalise finance find finish fit fix flag flatten flip float flush fly
focus fold follow forecast forget forgive form forward found frame freeze fulfil fund gather
generate get give go govern grab grant greet grow guarantee guess guide handle hang happen
harvest head hear help hide highlight hire hit hold host hurry identify ignore illustrate
implement import improve include incorporate increase indicate inform inherit initiate
innovate input insert inspect install instruct insure integrate intend interview introduce
invest investigate invite invoice involve isolate issue join judge jump justify keep kick
know label land last launch lead learn lease leave lend let license lift limit link list
listen load loan locate lock log look lose maintain make manage map mark market match measure
meet mention merge migrate mind minimise miss mitigate model modify monitor motivate mount
move name navigate need negotiate nominate note notice notify obey object observe obtain
occupy offer onboard open operate optimise order organise outline outsource overlook own pack
page paint park parse participate pass paste patch pause pay perform permit persuade phone
pick pilot pin place plan play pledge plug point poll populate position post postpone pour
practise predict prefer prepare present preserve press prevent price print prioritise process
procure produce program progress promise promote prompt propose protect prove provide
provision publish pull purchase purge push put qualify query question queue quote raise rank
rate reach react read reassign rebuild recall receive recognise recommend reconcile record
recover recruit redeploy reduce refer refine reflect refresh refund refuse register reimburse
reinstate reject relate release rely remain remember remind remove rename renew rent reopen
reorder repair repeat replace reply report represent request require reschedule research
reserve reset resign resolve respond restart restore restrict resume retain retire retry
return reuse reveal review revise revoke reward rewrite ride ring rise risk roll rotate route
run sample save scale scan schedule score scrap screen search secure seed select sell send
separate serve set settle shape share ship shop shorten show shrink shut sign simplify sit
size skip sleep slice slip smooth snooze solve sort source speak specify spend split sponsor
spot stabilise staff stage stand start state stay steer stick stock stop store streamline
strengthen stress structure study submit subscribe substitute succeed suggest suit summarise
supervise supply support suppose surface survey suspend swap switch sync tag take talk target
teach tell tend terminate test thank think throttle tidy tie time toggle top track trade
train transfer transform translate travel treat trial trigger trim trust try tune turn type
uncover understand undo unify unlock unpack update upgrade upload urge use validate value
verify view visit vote wait walk want warn wash watch waive wear weigh welcome win wipe wire
withdraw wonder work worry wrap write
""")

ADJECTIVES = _words("""
able absolute academic acceptable accurate active actual additional adequate administrative
advanced affordable aggressive agile alert alternative amazing ambitious ample annual anxious
apparent appropriate approved archived automatic available average awkward bad basic
beautiful big bitter blank blocked blue bold boring brave brief bright brilliant broad broken
brown busy calm capable careful casual central certain cheap chief chronic civil classic
clean clear clever close closed cloudy cold comfortable commercial common compact competitive
complete complex compliant comprehensive concrete confident confidential confused
conservative consistent constant content continuous convenient cool corporate correct costly
critical crucial cultural curious current custom daily damaged dangerous dark dead dear
decent deep default defensive definite delicate dense dependent detailed different difficult
digital direct dirty distinct domestic dominant double draft dramatic dry due dull durable
dynamic eager early easy economic effective efficient elderly electric electronic elegant
eligible embarrassing emotional empty encrypted endless enormous entire equal equivalent
essential ethical even eventual evident exact excellent exceptional excessive exciting
exclusive existing expensive experimental expert explicit external extra extreme fair false
familiar famous fancy fast favourite federal fierce final financial fine firm fiscal fixed
flaky flat flexible fluent foreign formal former fragile free frequent fresh friendly frozen
full functional fundamental funny future general generous gentle genuine giant glad global
golden good gradual grand grateful great green grey gross handy happy hard harsh healthy
heavy helpful hidden high historic hollow honest hopeful horizontal hot huge humble hungry
ideal identical idle illegal immediate immense imminent implicit important impossible
impressive inactive incoming incomplete inconsistent incorrect independent indirect
individual industrial inevitable informal initial inner insecure instant intense interim
internal international invalid invisible irrelevant joint junior keen key kind large late
latest lazy lean legal legitimate lengthy light likely limited linear liquid little live
local logical lonely long loose loud lovely low loyal lucky main major mandatory manual
marginal massive mature maximum meaningful medical medium mental mere messy middle mild
minimal minimum minor missing mobile moderate modern modest monthly multiple mutual narrow
nasty national native natural neat necessary negative nervous net neutral new nice noisy
nominal normal notable novel numerous objective obscure obvious occasional odd offline
official okay old online open operational opposite optimal optional oral orange ordinary
organic original outbound outdated outer outstanding overall overdue own painful pale
parallel partial particular passive past patient peaceful pending perfect permanent personal
physical plain planned pleasant plenty polite poor popular portable positive possible
potential powerful practical precise preferred preliminary premium present pretty previous
primary prime principal prior private probable productive professional profitable
progressive prominent promising proper proud provisional public pure quarterly quick quiet
radical random rapid rare raw ready real reasonable recent red redundant regional regular
related relative relevant reliable reluctant remote renewed repeated representative required
resident residential responsible restricted retail reusable rich rigid risky robust rough
round routine rural sad safe satisfied scarce scheduled seasonal secondary secret secure
senior sensible sensitive separate serious severe shallow shared sharp sheer short shy sick
significant silent silly similar simple single slight slim slow small smart smooth soft
solid sophisticated sound spare special specific stable stale standard static steady steep
sticky stiff still straight strange strategic strict strong structural stuck subsequent
substantial subtle successful sudden sufficient suitable sunny super superb superior
supportive sure surprised suspicious sweet swift synthetic systematic tall technical
temporary tender terrible thick thin tidy tight tiny tired top total tough toxic traditional
tricky trivial true typical ugly ultimate unable unclear uncommon unexpected unfair unhappy
uniform unique universal unknown unlikely unpaid unrelated unsafe unstable unusual upcoming
upper upset urban urgent useful useless usual vague valid valuable variable various vast
verbal verified vertical viable vibrant virtual visible vital vivid voluntary vulnerable warm
weak wealthy weekly weird welcome wet white whole wide wild willing wise wonderful wooden
worried worth wrong yearly yellow young zero
""")

ADVERBS = _words("""
absolutely accidentally actually again ahead almost already also always annually anyway
apparently approximately automatically awkwardly badly barely basically beforehand briefly
broadly carefully certainly cheerfully clearly closely commonly completely consistently
constantly correctly currently daily deeply definitely deliberately directly easily
effectively entirely equally essentially eventually exactly explicitly extremely fairly
finally firmly formally frankly freely frequently fully generally gently gladly gradually
greatly happily hardly heavily honestly hopefully immediately implicitly importantly
incorrectly increasingly indeed initially instantly internally jointly largely lately later
likely literally locally loosely loudly mainly manually merely mostly mutually naturally
nearly neatly necessarily newly nightly normally notably obviously occasionally officially
often only openly originally otherwise overnight partially particularly perhaps periodically
personally physically plainly politely poorly possibly practically precisely presumably
previously primarily privately probably promptly properly publicly quickly quietly rapidly
rarely readily really reasonably recently regularly relatively reliably remotely repeatedly
reportedly roughly routinely safely seemingly separately seriously sharply shortly silently
similarly simply slightly slowly smoothly softly solely somehow sometimes soon specifically
steadily still strictly strongly subsequently successfully suddenly surely swiftly
temporarily thankfully thoroughly tightly today together tomorrow totally truly typically
ultimately unexpectedly unfortunately unusually urgently usually vaguely very virtually
weekly wholly widely yesterday
""")

_IRREGULAR = {
    verb: past
    for verb, past in (
        pair.split(":")
        for pair in """
begin:began become:became break:broke bring:brought build:built buy:bought catch:caught
choose:chose come:came cut:cut deal:dealt dig:dug draw:drew drive:drove fall:fell feed:fed
fight:fought find:found fly:flew forget:forgot forgive:forgave freeze:froze get:got give:gave
go:went grow:grew hang:hung hear:heard hide:hid hit:hit hold:held keep:kept know:knew lead:led
leave:left lend:lent let:let lose:lost make:made meet:met pay:paid put:put read:read ride:rode
ring:rang rise:rose run:ran sell:sold send:sent set:set shut:shut sit:sat sleep:slept
speak:spoke spend:spent split:split stand:stood stick:stuck take:took teach:taught tell:told
think:thought understand:understood undo:undid wear:wore win:won write:wrote rewrite:rewrote
rebuild:rebuilt bear:bore beat:beat cast:cast bet:bet forecast:forecast broadcast:broadcast
""".split()
    )
}
_DOUBLED = frozenset(
    "plan stop ship drop skip swap tag pin plug map admit commit submit permit refer prefer "
    "control patrol scrap slip top wrap shop chat flip grab trim travel label cancel model "
    "signal total level fulfil enrol embed debug log scan spot drag flag ban step transfer "
    "format equip occur regret".split()
)

# -- names: lists of real ones for the head, syllables for the long tail -----------------------

GIVEN = _words("""
Aaron Abdul Ada Adele Adrián Agnes Aino Aisha Akira Alba Aleksander Alex Alice Alicja Amara
Amélie Amir Ana Anders Andrés Aneta Ángel Anja Anouk Antoine Arjun Arne Astrid Aurélien Ava
Ayşe Beatriz Ben Benedikt Bjørn Björn Bruno Camille Carla Carmen Cátia Cem Chen Chiara Chloé
Clara Conor Dag Dalia Daniel Dário Dávid Deniz Diego Dmitri Dorothée Eamon Edgar Élise Elena
Eli Elif Emil Emma Enzo Erik Esther Eva Fabián Farah Fatima Felix Fernanda Finn Florian
Frances Françoise Freja Gabriel Gaël Gemma Georg Gonzalo Greta Grzegorz Guillermo Gustav Hana
Hannah Hans Harald Helga Héctor Hélène Henrik Hiro Hugo Ibrahim Ida Ilse Imran Inés Ingrid
Ioana Irene Isak Ivan Jacques Jakub Jamal Jana Javier Jens Joana Joaquín João Jonas Jordi
Jörg José Juan Julia Jürgen Kai Karin Kasper Kate Kemal Kenji Kirsten Klara Knut Lars Laura
Leila Lena Leo Léa Liam Lin Linnea Lisa Lorenzo Louise Luca Lucía Luis Lukas Maëlle Magnus
Mahmoud Maja Malin Małgorzata Manon Marco Margit María Marek Marius Marta Mateo Mathilde
Matías Maya Mehmet Mia Miguel Mika Milan Mira Miriam Mohammed Nadia Naomi Nathalie Nicolás
Niels Nikolai Nils Noah Noémie Nora Núria Ola Olga Oliver Olivia Omar Oskar Pablo Paola Patrik
Paul Pedro Petra Pilar Priya Rafael Rahul Ramón Raquel Rasmus Rebecca Renée Ricardo Rita
Rocío Roman Rosa Ruth Sakura Salma Samuel Sandra Santiago Sara Sebastián Selin Siddharth
Sigrid Simone Siobhán Sofía Søren Stefan Stella Sune Susanne Svetlana Tarek Teresa Thea Theo
Thiago Tiago Tomás Tomasz Tove Ulla Ulrich Valentina Vera Víctor Viktor Vilde Wei Wiebke
Willem Xavier Yara Yasmin Yusuf Zeynep Zoë Zofia Bea Cosmin Dunja Emeka Folake Gideon Halima
Ikaika Jovana Kwame Lwazi Mpho Ngozi Oisín Pádraig Quentin Radek Saoirse Tendai Uchenna
Vuk Wanjiru Xiomara Yiannis Zainab
""")

SURNAMES = _words("""
Abara Acosta Ahmed Almeida Andersen Arslan Bakker Banerjee Barros Becker Berg Bianchi Björk
Blanco Brandt Brennan Campos Carvalho Castro Çelik Chowdhury Costa Dahl Delgado Demir Dias
Dubois Duarte Eklund Engström Esposito Falk Fernández Ferreira Fischer Fonseca Fournier Franke
Gallo García Gómez Gonçalves Greco Grünewald Gutiérrez Haas Hahn Hansen Hartmann Hernández
Hoffmann Holm Horváth Ibáñez Iyer Jakobsen Jansen Jensen Johansson Kaya Keller Khan Kim Koch
Kovács Kowalski Krause Kuznetsov Lange Larsen Laurent Lefèvre Lehmann Lindqvist Lopes López
Lund Martín Martins Meier Mendes Molina Moreau Moreno Müller Nakamura Navarro Nielsen Novák
Nowak Núñez Oliveira Olsen Ortega Öztürk Park Patel Pereira Petersen Pires Popescu Quintero
Ramos Reyes Richter Rossi Ruiz Ryan Saari Sánchez Santos Sato Schäfer Schmidt Schneider
Schulz Silva Sokolov Sørensen Suárez Svensson Szabó Takahashi Tanaka Torres Vargas Virtanen
Vogel Wagner Walsh Weber Wójcik Yamamoto Yılmaz Zimmermann Øberg Ødegaard Åberg Okafor
Mensah Adeyemi Nkosi Mwangi O’Brien O’Neill MacLeod Fitzgerald Kavanagh
""")

_CJK_FAMILY = "王 李 张 刘 陈 杨 黄 赵 佐藤 鈴木 高橋 田中 渡辺 김 이 박 최 정".split()
_CJK_GIVEN = "伟 芳 娜 敏 静 磊 洋 勇 翔太 陽菜 結衣 大輝 蓮 민준 서연 지우 하준 도윤".split()
_CJK_PHRASES = (
    "確認済み 来週まで 対応中 見積もり 請求書 请确认 已完成 待处理 发票 下周一 "
    "다음 주 회의록 검토 중 요청 사항 완료"
).split()

_SYLLABLES = """
ba be bi bo bu bra bre bro ca ce co cu cha che da de di do dra dre fa fe fi fo fra ga ge gi
go gra ha he hi ho ja je jo ka ke ki ko kra la le li lo lu ma me mi mo mu na ne ni no nu pa
pe pi po pra pre ra re ri ro ru sa se si so su sta ste sto ta te ti to tu tra tre va ve vi vo
wa we wi za ze zo bé dé lé mé ré sé té mü lü brü kö lö sø bø mø hå lå ña ño ñu çe vå
""".split()
_CODAS = ["", "", "", "n", "r", "l", "s", "rt", "nd", "ck", "x", "m", "nk", "st", "rg", "lt"]
_SURNAME_ENDS = """
son sen berg ström ez es ini ski wicz ovic ová ard ier mann stein ley ton field ås eau ado
ello ak ić oğlu yan dóttir ssen ová ek ai uk ley ridge
""".split()
_COMPANY_ENDS = """
Labs Logistics GmbH AB AS Oy S.A. S.L. Ltd Inc. LLC BV SpA KK Holdings Foods Freight Health
Analytics Studio Partners Group Systems Software Energy Textiles Supply Pharma Robotics
Ventures Bakery Dental Clinic Motors Audio Print Farms Coffee Outdoor Marine Legal Payroll
""".split()
_PRODUCT_TAILS = "Pro Max Mini Lite X Plus Air One 2 S Go 3000 Edge Flex Core Duo".split()
_PLACE_ENDS = "ville borg holm by stad ford ton mouth furt ach ia dal vik heim lund".split()
CITIES = _words("""
Lisbon Porto Madrid Sevilla Barcelona Valencia Zürich Genève Köln München Hamburg Berlin
Malmö Göteborg Stockholm Oslo Tromsø Aarhus København Helsinki Tallinn Riga Kraków Gdańsk
Wrocław Praha Brno Wien Graz Ljubljana Zagreb Milano Torino Napoli Lyon Nantes Bordeaux
Montréal Québec Toronto Austin Denver Seattle Chicago Boston Atlanta Phoenix Monterrey
Guadalajara Bogotá Medellín Curitiba Lima Nairobi Lagos Accra Cairo Istanbul İzmir Dubai
Mumbai Bengaluru Pune Singapore Jakarta Manila Seoul 서울 Busan Osaka 東京 大阪 Shenzhen 上海
Taipei Sydney Melbourne Auckland Reykjavík Dublin Cork Galway Edinburgh Leeds Bristol Cardiff
Antwerpen Gent Rotterdam Utrecht Eindhoven Luxembourg
""")

AREAS = _words("""
Payroll Billing Invoicing Collections Procurement Purchasing Vendors Suppliers Warehouse
Fulfilment Shipping Returns Inventory Logistics Fleet Facilities Office Hiring Recruiting
Onboarding Offboarding Benefits Compliance Legal Contracts Privacy Security Access IT Devices
Laptops Networking Infrastructure Deploys Releases Incidents On-call Monitoring Databases
Backups Analytics Reporting Finance Budget Forecasts Treasury Tax Audit Insurance Partnerships
Sales Pipeline Accounts Renewals Pricing Discounts Marketing Campaigns Events Webinars Content
Newsletter Social Support Escalations Refunds Training Documentation Product Roadmap Design
Research Customers Community Investors Board Fundraising Grants Travel Expenses Catering
Events Retreat Sustainability Quality Manufacturing Maintenance Safety Sourcing Packaging
Wholesale Retail Marketplace Subscriptions Loyalty Affiliates Translations Localization
""")
_AREA_QUALIFIERS = [
    "notes", "log", "tracker", "runbook", "playbook", "archive", "inbox", "scratchpad",
    "2023", "2024", "2025", "EU", "US", "APAC", "old", "v2", "weekly", "decisions", "FAQ",
    "team", "ops", "misc", "wiki", "handover", "backlog", "checklists",
]  # fmt: skip
EMOJI = (
    "✅ ⚠️ 🚀 💡 📌 🔥 📅 🧾 🛠️ 🗂️ 📞 🤝 👀 🎯 ❗ 📈 📉 🧪 🔒 🐛 💬 📝 🧭 🏁 ⏳ 🙏 💸 📦 🚚 🌍".split()
)
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_TLDS = [".com", ".io", ".de", ".se", ".co.uk", ".es", ".fr", ".no", ".app", ".dev", ".eu"]
_STAGES = ["Lead", "Qualified", "Discovery", "Proposal", "Negotiation", "Closed won",
           "Closed lost", "Churned", "On hold", "Renewal due"]  # fmt: skip
_STATUSES = ["Done", "In progress", "Blocked", "Not started", "Waiting on them", "Cancelled",
             "Needs review", "Shipped", "Parked", "✅", "❌", "🟡"]  # fmt: skip
_HEX = "0123456789abcdef"
_B62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

# -- sentences ---------------------------------------------------------------------------------
# Slots: n ns a v ved ving vs adv (words of the domain, mostly); P (a full name), p (a given
# name), at (a mention), C (company), PR (product), SKU, PL (place), D (date), T (time), DUR,
# M (money), PCT, NUM, BIG, ID, URL, E (email), PH (phone), LINK (a Notion link), CODE
# (inline code), Q (a short quoted phrase), CH (a Slack channel), EMO, CJK, VER.

_PROSE = """
{P} {ved} the {a} {n} for {C} on {D}.
We still need to {v} the {ns} before {D} — {p} is on it.
{C} asked whether the {n} could {v} {adv}; the answer was no, not before {D}.
The {n} came in at {M}, about {PCT} over the {a} estimate.
Per {at}, the {ns} in {PL} are {adv} {a} this quarter.
Open question: who {vs} the {n} when {p} is away?
{ID} was {ved} after {C} {ved} the {n} ({LINK}).
Don’t {v} the {n} until {p} has {ved} the {ns}.
If the {n} is {a}, {v} it and ping {CH}.
Budget for the {n}: {M} (was {M}).
Spoke with {P} from {C} — they want to {v} {ns} by {D}.
It’s {adv} {a}, but the {n} {vs} {adv} on {ns} above {NUM}.
The {a} {n} at {PL} {vs} roughly {BIG} {ns} a month.
{p} thinks we should {v} the {n} and {v} the {ns} instead.
See {URL} for the {a} {n}.
Invoice {ID} for {M} is still {a}; {C} says it was {ved} on {D}.
“{Q}” — {p}, about the {n}.
We agreed to {v} {ns} for {C} at {M} per {n}.
Call {P} on {PH} if the {n} {vs} again.
Reply to {E} with the {ns} and the {n} number ({ID}).
{PR} ({SKU}) is {a} in {PL} until {D}.
Our {n} rate dropped to {PCT} after the {a} {n}.
There’s a {a} {n} in the {n} — {at} {ved} it in {ID}.
Timeline: {v} by {D}, {v} by {D}, {v} by {D}.
Nobody {ved} the {n}, so the {ns} {ved} {adv}.
{C}’s {n} is {a}; they’ll {v} it next {n}.
Moved the {n} to {PL} ({DUR} of work, roughly {M}).
Short version: the {n} is {a} and the {ns} are not.
We {ved} {NUM} {ns} last week and {NUM} this week.
Note to self: {v} the {n} before {p} {vs} the {ns}.
{EMO} {a} {n} — {v} it {adv}.
The {n} owner is {at}; backup is {at}.
Ask {C} about the {n} ({ID}), they {ved} it twice.
Expected {M}, got {M}. The difference sits in the {n}.
{p} will {v} the {n} with {P} ({E}).
As of {D} the {n} is at {PCT} of target.
Renewal with {C} is due {D}; the current {n} is {M}/yr.
Shipping {NUM} units of {PR} to {PL} via {C}.
The {ns} from {C} arrived {a} — {NUM} of {BIG} {ved}.
Keep an eye on {CH}; alerts for the {n} go there.
I wanted to follow up on our conversation about the {n} and the {a} {ns} we discussed.
As you know, {C} has been {ving} the {n} since {D}, and the results have been {a}.
Could you please {v} the {ns} and let me know if anything looks {a}?
We believe the {a} {n} will {v} {ns} across {PL} and {PL}.
In short, the {n} is {adv} {a}, and we would rather {v} it than {v} it.
Please find attached the {n} for {D}, together with the {a} {ns}.
Thanks again for {ving} the {n} so {adv}.
Let me know if {T} on {D} works for a call.
According to the {n}, {PCT} of {ns} were {ved} within {DUR}.
The report from {C} suggests that {ns} {v} {adv} when the {n} is {a}.
Historically, {ns} in {PL} have {ved} {adv}, which is why the {n} matters.
Most {ns} never {v} the {n}; the ones who do tend to be {a}.
It is worth noting that the {n} {vs} roughly {BIG} {ns} per {n}.
For context, {P} {ved} the original {n} back in {D}.
What surprised us was how {a} the {ns} were, even at {PCT}.
Both {C} and {C} quoted for the {n}: {M} vs {M}.
The {a} part is the {n}, not the {ns}.
{p} flagged that the {n} in {VER} {vs} the {a} {ns} ({ID}).
Until the {n} is {ved}, treat every {n} from {C} as {a}.
We lost {DUR} on the {n} because nobody {ved} the {ns}.
This is the third time the {n} has {ved} since {D}.
{CJK} — {p} {ved} the {n} with {C}.
Numbers for {D}: {BIG} {ns}, {M} in {ns}, {PCT} {ving}.
No change to the {n}; {p} will {v} it again on {D}.
The {n} now {vs} {adv}: see `{CODE}` in the {n}.
""".strip().splitlines()

_STEPS = """
{Vc} the {n} in {PL}.
{Vc} the {ns} with `{CODE}`.
Check that the {n} is {a} (it should say “{a}”).
If {ID} is still open, {v} the {n} and wait {DUR}.
Log in to {URL} as {E}.
Open the {n} dashboard and {v} the {a} {ns}.
Confirm with {at} before you {v} anything in prod.
Wait until the {n} {vs} — usually {DUR}, sometimes {DUR}.
Copy the {n} id (it looks like `{HEX}`).
Run the script below and keep the output.
Post the {n} number in {CH}.
{Vc} {NUM} {ns} at most per batch; more will {v} the {n}.
Email {E} with the {n}, the {ID} and the {a} {ns}.
Don’t {v} the {n} on a Friday.
Export the {n} as CSV and attach it to {ID}.
Call {C} ({PH}) and ask for the {n} team.
Set the {n} to {a} and save.
{Vc} the {ns} in {LINK}.
""".strip().splitlines()

_BULLETS = """
{at} to {v} the {n} w/ {C}
{n}: {a}, {v} next week
{p}: {ns} are {a} — need {M} more
blocked on {ID}
agreed: {v} the {n} ({PCT} cap)
{C} {ved} the {n}, {at} follows up
decision → {v} {ns} by {D}
FYI the {n} moved to {PL}
{NUM} {ns} open, {NUM} {ved}
??? {n} owner
risk: {a} {n} in {PL}
{a} {n} from {C} — {M}
{p} out {D}–{D}
re {ID}: {v} the {n} first
{ns} {ved}, {ns} still {a}
{PR} {ns} {adv} {a} in {PL}
waiting on {C} for the {n}
numbers: {BIG} / {BIG} / {PCT}
{CH} is where the {n} alerts go
{at} {ved} the {n} ({LINK})
next: {v} {ns} + {v} the {n}
{EMO} {ns} {ved}
""".strip().splitlines()

_CHANGES = """
{Vedc} the {n} for {C} ({ID})
Fix: the {n} {ved} twice when the {n} was {a}
New: {PR} {n} in {PL}
Removed the {a} {n} ({ID})
Bumped the {n} limit to {BIG}
Docs: {v} the {n} ({LINK})
{Vedc} {ns} older than {DUR}
Price of {SKU} now {M} (was {M})
{n} {ved} for {NUM} {ns} — thanks {at}
Moved {ns} from {C} to {C}
Revert “{Q}”
Hotfix for {ID}: {n} no longer {vs} on {a} {ns}
""".strip().splitlines()

_TITLES = """
{Nc} {ns}
{A} {n} plan
{C} onboarding
Notes — {D}
How we {v} {ns}
{Nc} FAQ
{PR} launch
Postmortem {ID}
Q{Q4} {YEAR} review
{Vingc} the {n}
{Nc} checklist
{C} / {C} sync
{Nc} and {ns}
Weekly {n} review
{PL} {n}
{Nc} ({PL})
{p}’s {n} notes
{Nc} {VER}
""".strip().splitlines()

_QUOTES = """
{v} the {n} first
{a} enough
not my {n}
the {ns} don’t {v} themselves
we’ll {v} it {adv}
{a} {n}, {a} {n}
who {ved} the {n}?
ship it
no {n} without a {n}
{adv} {a}
""".strip().splitlines()

_SLOT = re.compile(r"\{(\w+)\}")
_CLOSERS = ("Best,", "Thanks,", "Cheers,", "Kind regards,", "Talk soon,", "BR,", "Mvh,")


def _compile(lines: list[str]) -> list[list[str]]:
    return [_SLOT.split(line) for line in lines]


_PROSE_T, _STEPS_T, _BULLETS_T = _compile(_PROSE), _compile(_STEPS), _compile(_BULLETS)
_CHANGES_T, _TITLES_T, _QUOTES_T = _compile(_CHANGES), _compile(_TITLES), _compile(_QUOTES)


_PLURALS = {
    "half": "halves", "knife": "knives", "shelf": "shelves", "person": "people",
    "foot": "feet", "tooth": "teeth", "mouse": "mice", "analysis": "analyses",
    "criterion": "criteria", "crisis": "crises", "hypothesis": "hypotheses", "data": "data",
    "media": "media", "people": "people", "news": "news", "logistics": "logistics",
    "staff": "staff", "customs": "customs", "equipment": "equipment", "software": "software",
    "hardware": "hardware", "advice": "advice", "knowledge": "knowledge", "logic": "logic",
}  # fmt: skip


def _plural(word: str) -> str:
    if word in _PLURALS:
        return _PLURALS[word]
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _past(verb: str) -> str:
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb in _DOUBLED:
        return verb + verb[-1] + "ed"
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


def _gerund(verb: str) -> str:
    if verb in _DOUBLED:
        return verb + verb[-1] + "ing"
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        return verb[:-1] + "ing"
    return verb + "ing"


def _third(verb: str) -> str:
    if verb.endswith(("s", "x", "z", "ch", "sh", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Pool:
    """An endless list of invented names: item ``i`` is a fixed function of ``i`` and the salt,
    built on first use. Draws are long-tailed over the first ``size`` (log-uniform on the
    square root of a uniform number: the first few are common without being everywhere), so
    new ones keep turning up as the text grows."""

    def __init__(self, make: Callable[[int], str], size: int, rng: random.Random) -> None:
        self.make, self.size, self.rng = make, size, rng
        self.cache: dict[int, str] = {}

    def __getitem__(self, i: int) -> str:
        name = self.cache.get(i)
        if name is None:
            name = self.cache[i] = self.make(i)
        return name

    def draw(self) -> str:
        return self[int((self.size + 1) ** (self.rng.random() ** 0.5)) - 1]


class _Lexicon:
    """Words and name pools for one document (the seed shuffles which words are common)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.salt = rng.getrandbits(32)

        def shuffled(words: tuple[str, ...]) -> list[str]:
            out = list(words)
            rng.shuffle(out)
            return out

        self.nouns = shuffled(NOUNS + JARGON)
        self.verbs = shuffled(VERBS)
        self.adjectives = shuffled(ADJECTIVES)
        self.adverbs = shuffled(ADVERBS)
        self.given = shuffled(GIVEN)
        self.surnames = shuffled(SURNAMES)
        self.cities = shuffled(CITIES)
        self.people = _Pool(self._person, 400_000, rng)
        self.companies = _Pool(self._company, 150_000, rng)
        self.products = _Pool(self._product, 80_000, rng)
        self.places = _Pool(self._place, 40_000, rng)
        self.prefixes = _Pool(self._prefix, 3_000, rng)

    def _mix(self, i: int) -> int:
        return ((i + 1) * 2_654_435_761 + self.salt) % 4_294_967_291

    def _stem(self, x: int, parts: int) -> str:
        out = []
        for _ in range(parts):
            out.append(_SYLLABLES[x % len(_SYLLABLES)])
            x //= len(_SYLLABLES)
        out.append(_CODAS[x % len(_CODAS)])
        return _cap("".join(out))

    def _person(self, i: int) -> str:
        x = self._mix(i)
        if x % 37 == 0:  # a few CJK names
            family = _CJK_FAMILY[(x // 37) % len(_CJK_FAMILY)]
            given = _CJK_GIVEN[(x // 997) % len(_CJK_GIVEN)]
            return f"{family}{given}" if len(family) == len(given) == 1 else f"{family} {given}"
        first = self.given[x % len(self.given)]
        x //= len(self.given)
        if x % 3 == 0:
            last = self.surnames[(x // 3) % len(self.surnames)]
        else:
            last = self._stem(x // 3, 1 + x % 2) + _SURNAME_ENDS[(x // 7) % len(_SURNAME_ENDS)]
        return f"{first} {last}"

    def _company(self, i: int) -> str:
        x = self._mix(i + 7_000_000)
        tail = _COMPANY_ENDS[x % len(_COMPANY_ENDS)]
        x //= len(_COMPANY_ENDS)
        if x % 4 == 0:
            noun = self.nouns[(x // 4) % 600]
            adjective = self.adjectives[(x // 2400) % len(self.adjectives)]
            return f"{_cap(adjective)} {_cap(noun)} {tail}"
        return f"{self._stem(x // 4, 2 + x % 2)} {tail}"

    def _product(self, i: int) -> str:
        x = self._mix(i + 13_000_000)
        tail = _PRODUCT_TAILS[x % len(_PRODUCT_TAILS)]
        x //= len(_PRODUCT_TAILS)
        stem = self._stem(x, 2) if x % 3 else _cap(self.nouns[(x // 3) % len(self.nouns)])
        return f"{stem} {tail}"

    def _place(self, i: int) -> str:
        if i < len(self.cities):
            return self.cities[i]
        x = self._mix(i + 29_000_000)
        return self._stem(x // 16, 1 + x % 2) + _PLACE_ENDS[x % len(_PLACE_ENDS)]

    def _prefix(self, i: int) -> str:
        x = self._mix(i + 41_000_000)
        return _ascii(self._stem(x, 2)).upper()[:3] or "OPS"


# -- the writer --------------------------------------------------------------------------------


class _Writer:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng
        self.lex = _Lexicon(rng)
        self.out: list[str] = []
        self.size = 0  # bytes of "\n\n".join(out)
        self.left = 0  # bytes the current domain may still take
        self.slots: dict[str, Callable[[], str]] = {
            "n": self.noun, "ns": lambda: _plural(self.noun()), "a": self.adj, "v": self.verb,
            "ved": lambda: _past(self.verb()), "ving": lambda: _gerund(self.verb()),
            "vs": lambda: _third(self.verb()), "adv": self.adv, "P": self.person,
            "p": self.first, "at": self.mention, "C": self.company, "PR": self.product,
            "SKU": self.sku, "PL": self.place, "D": self.date, "T": self.clock, "DUR": self.dur,
            "M": self.money, "PCT": self.pct, "NUM": self.num, "BIG": self.big, "ID": self.code,
            "URL": self.url, "E": self.email, "PH": self.phone, "LINK": self.link,
            "CODE": self.inline, "Q": self.quote, "CH": self.channel, "EMO": self.emoji,
            "CJK": lambda: self.r.choice(_CJK_PHRASES), "VER": self.version,
            "HEX": lambda: self.hex(8), "Vc": lambda: _cap(self.verb()),
            "Vedc": lambda: _cap(_past(self.verb())), "Vingc": lambda: _cap(_gerund(self.verb())),
            "Nc": lambda: _cap(self.noun()), "A": lambda: _cap(self.adj()),
            "Q4": lambda: str(self.r.randint(1, 4)),
            "YEAR": lambda: str(self.r.randint(2019, 2026)),
        }  # fmt: skip
        # Set per domain, and per page (date style, quotes), by domain().
        self.topic: list[str] = []
        self.topic_verbs: list[str] = []
        self.topic_adjectives: list[str] = []
        self.cast: list[str] = []
        self.headings = "sparse"
        self.indent = "  "
        self.date_style = 0
        self.curly = True

    # -- words ----------------------------------------------------------------------------

    def _zipf(self, words: list[str]) -> str:
        r = self.r.random()
        if r < 0.5:
            return words[int((len(words) + 1) ** (r * 2)) - 1]
        return words[int(len(words) * (r - 0.5) * 2)]

    def noun(self) -> str:
        if self.r.random() < 0.45:
            return self.r.choice(self.topic)
        return self._zipf(self.lex.nouns)

    def verb(self) -> str:
        if self.r.random() < 0.3:
            return self.r.choice(self.topic_verbs)
        return self._zipf(self.lex.verbs)

    def adj(self) -> str:
        if self.r.random() < 0.3:
            return self.r.choice(self.topic_adjectives)
        return self._zipf(self.lex.adjectives)

    def adv(self) -> str:
        return self._zipf(self.lex.adverbs)

    def person(self) -> str:
        if self.cast and self.r.random() < 0.7:
            return self.r.choice(self.cast)
        return self.lex.people.draw()

    def first(self) -> str:
        name = self.person()
        return name.split(" ", 1)[0] if " " in name else name

    def mention(self) -> str:
        name = self.person()
        return f"@{name}" if self.r.random() < 0.8 else "@" + name.split(" ", 1)[0].lower()

    def company(self) -> str:
        return self.lex.companies.draw()

    def product(self) -> str:
        return self.lex.products.draw()

    def place(self) -> str:
        return self.lex.places.draw()

    def emoji(self) -> str:
        return self.r.choice(EMOJI)

    def hex(self, digits: int) -> str:
        return f"{self.r.getrandbits(4 * digits):0{digits}x}"

    def snake(self) -> str:
        return "_".join(_ascii(self.noun()).replace("-", "_").replace("/", "_") for _ in range(2))

    # -- numbers, dates, codes --------------------------------------------------------------

    def day(self) -> int:
        return 737_060 + self.r.randrange(2_900)  # 2019-01-01 .. 2026-12

    def date(self, ordinal: int | None = None) -> str:
        day = date.fromordinal(ordinal or self.day())
        style = self.date_style if self.r.random() < 0.75 else self.r.randrange(12)
        y, m, d = day.year, day.month, day.day
        month = _MONTHS[m - 1]
        if style == 0:
            return f"{y}-{m:02d}-{d:02d}"
        if style == 1:
            return f"{d:02d}/{m:02d}/{y}"
        if style == 2:
            return f"{m}/{d}/{y}"
        if style == 3:
            return f"{month} {d}, {y}"
        if style == 4:
            return f"{d} {month[:3]} {y}"
        if style == 5:
            return f"{month[:3]} {d}"
        if style == 6:
            return f"{_DAYS[day.weekday()][:3]} {d} {month[:3]}"
        if style == 7:
            return f"{d:02d}.{m:02d}.{y}"
        if style == 8:
            return f"{y}-{m:02d}-{d:02d}T{self.r.randrange(24):02d}:{self.r.randrange(60):02d}Z"
        if style == 9:
            return f"@{month} {d}, {y}"
        if style == 10:
            return f"{_DAYS[day.weekday()]}, {d} {month}"
        nth = "th" if 10 < d < 14 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
        return f"{d}{nth} of {month}"

    def clock(self) -> str:
        h, m = self.r.randrange(7, 20), self.r.choice((0, 0, 15, 30, 45))
        form = self.r.randrange(3)
        if form == 0:
            return f"{h:02d}:{m:02d}"
        if form == 1:
            return f"{(h - 1) % 12 + 1}{':' + str(m) if m else ''}{'am' if h < 12 else 'pm'}"
        return f"{h}h{m:02d} CET"

    def dur(self) -> str:
        n = self.r.randint(1, 40)
        return f"{n} " + self.r.choice(("min", "minutes", "hours", "h", "days", "weeks", "sprints"))

    def money(self) -> str:
        amount = 10 ** self.r.uniform(1, 6.3)
        form = self.r.randrange(11)
        if form == 0:
            return f"${amount:,.0f}"
        if form == 1:
            return f"${amount / 1000:.1f}k" if amount > 1000 else f"${amount:.2f}"
        if form == 2:
            return f"€{amount:,.2f}"
        if form == 3:
            whole = f"{int(amount):,}".replace(",", ".")
            return f"{whole},{self.r.randrange(100):02d}\u00a0€"
        if form == 4:
            return f"£{amount:,.0f}"
        if form == 5:
            return f"CHF {int(amount):,}".replace(",", "’") + ".–"
        if form == 6:
            return f"¥{int(amount) * 100:,}"
        if form == 7:
            return f"USD {amount / 1000:.0f}k" if amount > 5000 else f"USD {amount:.0f}"
        if form == 8:
            return f"SEK {int(amount):,}".replace(",", "\u00a0")
        if form == 9:
            s = str(int(amount))
            head, tail = s[:-3], s[-3:]
            groups: list[str] = []
            while len(head) > 2:
                groups.insert(0, head[-2:])
                head = head[:-2]
            lakh = ",".join([head, *groups] if head else groups)
            return f"₹{lakh},{tail}" if lakh else f"₹{tail}"
        return f"{amount:,.0f} EUR"

    def pct(self) -> str:
        x = self.r.uniform(-15, 120) if self.r.random() < 0.2 else self.r.uniform(0, 100)
        form = self.r.randrange(5)
        if x < 0:
            return f"−{-x:.1f}%" if form < 3 else f"-{-x:.0f}%"
        if form == 0:
            return f"{x:.0f}%"
        if form == 1:
            return f"{x:.1f}%"
        if form == 2:
            return f"{x:.1f} %"
        if form == 3:
            return f"+{x / 10:.1f} pp"
        return f"{x:.2f}%"

    def num(self) -> str:
        return str(int(2 ** self.r.uniform(0, 9)))

    def big(self) -> str:
        n = int(10 ** self.r.uniform(2, 7))
        return f"{n:,}" if self.r.random() < 0.6 else str(n)

    def code(self) -> str:
        form = self.r.randrange(12)
        n = self.r.randrange(100, 99_999)
        if form == 0:
            return f"INV-{self.r.randrange(10_000, 99_999)}"
        if form == 1:
            return f"PO#{self.r.randrange(1000, 9999)}"
        if form == 2:
            return f"PO-{self.r.randint(2019, 2026)}-{self.r.randrange(10_000):04d}"
        if form == 3:
            return f"{self.r.choice(('OPS', 'ENG', 'CS', 'FIN', 'HR', 'SEC', 'INC'))}-{n % 9999}"
        if form == 4:
            return f"#{n % 9999}"
        if form == 5:
            return f"TKT-{self.r.randrange(100_000, 999_999)}"
        if form == 6:
            return f"RMA {self.r.randrange(100_000, 999_999)}"
        if form == 7:
            return f"SO-{n:06d}"
        if form == 8:
            return self.hex(7)
        if form == 9:
            return f"{self.lex.prefixes.draw()}-{n}"
        if form == 10:
            h = self.hex(32)
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        return f"CN{self.r.randrange(10**9, 10**10)}"

    def sku(self) -> str:
        variant = self.r.choice(("BLK", "WHT", "XL", "S", "M", "EU", "US", "V2", "REFURB", ""))
        base = f"{self.lex.prefixes.draw()}-{self.r.randrange(1000, 99_999)}"
        return f"{base}-{variant}" if variant else base

    def version(self) -> str:
        return f"v{self.r.randint(0, 6)}.{self.r.randint(0, 40)}.{self.r.randint(0, 25)}"

    def phone(self) -> str:
        r = self.r
        d = [str(r.randrange(10)) for _ in range(10)]
        form = r.randrange(8)
        if form == 0:
            return f"+1 ({r.randint(201, 989)}) 555-{''.join(d[:4])}"
        if form == 1:
            return f"+44 20 {''.join(d[:4])} {''.join(d[4:8])}"
        if form == 2:
            return f"+49 30 {''.join(d[:7])}"
        if form == 3:
            return f"+34 6{''.join(d[:2])} {''.join(d[2:4])} {''.join(d[4:6])} {''.join(d[6:8])}"
        if form == 4:
            return f"+46 70-{''.join(d[:3])} {''.join(d[3:5])} {''.join(d[5:7])}"
        if form == 5:
            return f"+81 3-{''.join(d[:4])}-{''.join(d[4:8])}"
        if form == 6:
            return f"({r.randint(201, 989)}) 555-{''.join(d[:4])} ext. {r.randint(100, 499)}"
        return f"+351 21 {''.join(d[:3])} {''.join(d[3:7])}"

    def domain_of(self, company: str) -> str:
        words = _ascii(company).lower().replace("&", "").replace(".", "").split()
        stem = "".join(w for w in words[:-1]) or (words[0] if words else "example")
        return stem + _TLDS[len(stem) % len(_TLDS)]

    def email(self, person: str | None = None, company: str | None = None) -> str:
        name = _ascii(person or self.person()).lower().replace("’", "").replace("'", "").split()
        company = self.domain_of(company or self.company())
        if not name:
            return f"{self.r.choice(('ops', 'billing', 'ap', 'support', 'hello'))}@{company}"
        if self.r.random() < 0.6 and len(name) > 1:
            return f"{name[0]}.{name[-1]}@{company}"
        return f"{name[0]}@{company}"

    def url(self) -> str:
        r = self.r
        form = r.randrange(7)
        if form == 0:
            return f"https://{self.domain_of(self.company())}/{self.noun()}/{self.code()}"
        if form == 1:
            org = _ascii(self.company().split()[0]).lower() or "acme"
            return f"https://github.com/{org}/{self.noun()}/pull/{r.randrange(1, 9999)}"
        if form == 2:
            sheet = "".join(r.choice(_B62) for _ in range(44))
            return f"https://docs.google.com/spreadsheets/d/{sheet}/edit#gid={r.randrange(10**9)}"
        if form == 3:
            portal, deal = r.randrange(10**6, 10**7), r.randrange(10**9, 10**10)
            return f"https://app.hubspot.com/contacts/{portal}/deal/{deal}"
        if form == 4:
            return f"https://status.{self.domain_of(self.company())}/incidents/{self.hex(12)}"
        if form == 5:
            who = _ascii(self.person()).lower().replace(" ", "-") or "ops"
            return f"https://calendly.com/{who}/30min"
        return f"https://www.notion.so/{self.hex(32)}?v={self.hex(32)}"

    def link(self) -> str:
        title = self.title()
        words = re.sub(r"[^\w\s-]", "", _ascii(title)).split()
        if self.r.random() < 0.7:
            slug = "-".join(words) or "Untitled"
            return f"[{title}](https://www.notion.so/{slug}-{self.hex(32)})"
        encoded = "%20".join(words) or "Untitled"
        return f"[{title}]({encoded}%20{self.hex(32)}.md)"

    def inline(self) -> str:
        r = self.r.randrange(4)
        if r == 0:
            return self.snake()
        if r == 1:
            return f"kubectl -n {_ascii(self.noun())} get pods"
        if r == 2:
            return self.snake().upper()
        return f"{self.snake()}()"

    def quote(self) -> str:
        return self.fill(self.r.choice(_QUOTES_T))

    def channel(self) -> str:
        r = self.r.random()
        if r < 0.4:
            return f"#{_ascii(self.noun())}-{self.r.choice(('alerts', 'ops', 'team', 'help'))}"
        if r < 0.7:
            return f"#inc-{self.r.randrange(100, 9999)}"
        return f"#{_ascii(self.noun())}"

    # -- text -------------------------------------------------------------------------------

    def fill(self, parts: list[str]) -> str:
        slots = self.slots
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            out.append(slots[parts[i]]())
            out.append(parts[i + 1])
        return "".join(out)

    def clause(self) -> str:
        """A sentence put together from parts rather than a template."""
        r = self.r
        who = r.randrange(7)
        if who == 0:
            subject = f"the {self.adj()} {self.noun()}"
        elif who == 1:
            subject = self.person()
        elif who == 2:
            subject = "we"
        elif who == 3:
            subject = f"our {self.noun()} team"
        elif who == 4:
            subject = self.company()
        elif who == 5:
            subject = f"every {self.noun()}"
        else:
            subject = f"{self.first()} and {self.first()}"
        many = who in (2, 6)
        verb = r.randrange(5)
        if verb == 0:
            tail = f"{_past(self.verb())} the {_plural(self.noun())}"
        elif verb == 1:
            tail = f"will {self.verb()} the {self.noun()} for {self.company()}"
        elif verb == 2:
            tail = f"{'are' if many else 'is'} {self.adv()} {self.adj()}"
        elif verb == 3:
            tail = (
                f"{'have' if many else 'has'} been {_gerund(self.verb())} "
                f"{_plural(self.noun())} since {self.date()}"
            )
        else:
            tail = f"{_past(self.verb())} {self.num()} {_plural(self.noun())} in {self.place()}"
        extra = r.randrange(7)
        if extra == 0:
            tail += f" before {self.date()}"
        elif extra == 1:
            tail += f" because the {self.noun()} was {self.adj()}"
        elif extra == 2:
            tail += f" ({self.link()})"
        elif extra == 3:
            tail += f" — {self.pct()} of the {self.noun()}"
        elif extra == 4:
            tail += f", which cost {self.money()}"
        return _cap(f"{subject} {tail}.")

    def sentence(self) -> str:
        if self.r.random() < 0.35:
            return self.clause()
        return _cap(self.fill(self.r.choice(_PROSE_T)))

    def paragraph(self, low: int = 2, high: int = 7) -> str:
        return self.finish(" ".join(self.sentence() for _ in range(self.r.randint(low, high))))

    def finish(self, text: str) -> str:
        return text if self.curly else text.replace("’", "'").replace("“", '"').replace("”", '"')

    def title(self) -> str:
        text = _cap(self.fill(self.r.choice(_TITLES_T)))
        return f"{self.emoji()} {text}" if self.r.random() < 0.15 else text

    def wrap(self, text: str, width: int = 72, prefix: str = "") -> str:
        lines, line = [], ""
        for word in text.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(prefix + line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        if line:
            lines.append(prefix + line)
        return "\n".join(lines)

    # -- blocks -----------------------------------------------------------------------------

    def heading(self, level: int, text: str | None = None) -> str:
        text = text or self.title()
        return f"{'#' * level} {text}"

    def pseudo(self, text: str | None = None) -> str:
        text = text or self.title()
        return f"**{text}**" if self.r.random() < 0.8 else f"__{text}__"

    def lead(self, text: str | None = None) -> str | None:
        """What a page or a part of one opens with: a heading, a bold line, or nothing."""
        r = self.r.random()
        if self.headings == "deep" or (self.headings == "sparse" and r < 0.35):
            return self.heading(3, text)
        if r < 0.75:
            return self.pseudo(text)
        return None

    def sub(self, depth: int = 0) -> str | None:
        """A heading inside a page: deep domains only, a bold line elsewhere, or nothing."""
        if self.headings == "deep" and self.r.random() < 0.7:
            return self.heading(min(6, 4 + depth + (self.r.random() < 0.2)))
        return self.pseudo() if self.r.random() < 0.5 else None

    def properties(self) -> str:
        r = self.r
        rows = [f"Created: {self.date()} {self.clock()}", f"Owner: {self.person()}"]
        if r.random() < 0.7:
            rows.append(f"Status: {r.choice(_STATUSES)}")
        if r.random() < 0.6:
            rows.append("Tags: " + ", ".join(self.noun() for _ in range(r.randint(1, 4))))
        if r.random() < 0.4:
            rows.append(f"Last edited: {self.date()}")
        if r.random() < 0.3:
            rows.append(f"Related: {self.link()}")
        r.shuffle(rows)
        return "\n".join(rows)

    def aside(self) -> str:
        body = self.paragraph(1, 3)
        if self.r.random() < 0.5:
            return f"<aside>\n{self.emoji()} {body}\n\n</aside>"
        return f"<aside>\n{self.emoji()} **{self.title()}**\n\n{body}\n\n</aside>"

    def toggle(self) -> str:
        inner = self.r.choice((self.paragraph, self.bullets, self.steps, self.fence))()
        return f"<details>\n<summary>{self.title()}</summary>\n\n{inner}\n\n</details>"

    def item(self, templates: list[list[str]]) -> str:
        if self.r.random() < 0.25:
            return self.finish(self.clause().rstrip("."))
        return self.finish(self.fill(self.r.choice(templates)))

    def bullets(
        self, low: int = 3, high: int = 12, templates: list[list[str]] | None = None
    ) -> str:
        """A bullet list, nested two or three levels now and then."""
        r, ind = self.r, self.indent
        templates = templates or _BULLETS_T
        marker = r.choice(("-", "-", "-", "*"))
        lines = []
        for _ in range(r.randint(low, high)):
            lines.append(f"{marker} {self.item(templates)}")
            if r.random() < 0.25:
                for _ in range(r.randint(1, 4)):
                    lines.append(f"{ind}- {self.item(templates)}")
                    if r.random() < 0.2:
                        lines.append(f"{ind}{ind}- {self.item(templates)}")
        return "\n".join(lines)

    def todos(self, low: int = 2, high: int = 8) -> str:
        lines = []
        for _ in range(self.r.randint(low, high)):
            done = self.r.random() < 0.4
            if done:
                text = f"{self.mention()} {_past(self.verb())} the {self.noun()}"
            else:
                text = f"{self.mention()} {self.verb()} the {self.noun()} by {self.date()}"
            if self.r.random() < 0.3:
                text += f" ({self.code()})"
            lines.append(f"- [{'x' if done else ' '}] {self.finish(text)}")
        return "\n".join(lines)

    def steps(self, low: int = 3, high: int = 9) -> str:
        """Numbered steps with nested bullets, a Notion blank line of spaces, a nested fence."""
        r, ind = self.r, self.indent
        lines = []
        for k in range(1, r.randint(low, high) + 1):
            lines.append(f"{k}. {self.finish(_cap(self.fill(r.choice(_STEPS_T))))}")
            roll = r.random()
            if roll < 0.3:
                for _ in range(r.randint(1, 3)):
                    lines.append(f"{ind}- {self.item(_BULLETS_T)}")
                    if r.random() < 0.3:
                        lines.append(f"{ind}{ind}- {self.item(_BULLETS_T)}")
                        if r.random() < 0.3:
                            lines.append(f"{ind}{ind}{ind}- {self.item(_BULLETS_T)}")
            elif roll < 0.36:  # a code block under the step, as Notion exports it
                pad = "    "
                lines.append(pad)
                lines.extend(pad + line for line in self.fence().split("\n"))
                lines.append(pad)
        return "\n".join(lines)

    def table(self, columns: list[tuple[str, Callable[[], str]]], cap: int) -> str:
        head = "| " + " | ".join(name for name, _ in columns) + " |"
        rule = "|" + "|".join(" --- " if self.curly else "---" for _ in columns) + "|"
        lines, size = [head, rule], len(head) + len(rule)
        while size < cap or len(lines) < 4:
            row = "| " + " | ".join(make() for _, make in columns) + " |"
            lines.append(row)
            size += len(row.encode()) + 1
        return "\n".join(lines)

    def cap(self, low: int, high: int) -> int:
        return max(300, min(self.r.randint(low, high), self.left))

    def short(self) -> str:
        text = self.item(_BULLETS_T)
        return text if self.r.random() < 0.9 else text + "<br>" + self.item(_BULLETS_T)

    def any_table(self) -> str:
        pool: list[tuple[str, Callable[[], str]]] = [
            ("Name", self.person), ("Company", self.company), ("Email", self.email),
            ("Phone", self.phone), ("Status", lambda: self.r.choice(_STATUSES)),
            ("Amount", self.money), ("Date", self.date), ("Owner", self.mention),
            ("Region", self.place), ("Notes", self.short), ("SKU", self.sku), ("Qty", self.num),
            ("Discount", self.pct), ("Invoice", self.code), ("Link", self.link),
            ("Priority", lambda: self.r.choice(("P0", "P1", "P2", "P3", "🔥", "low"))),
            ("Product", self.product), ("Score", lambda: f"{self.r.uniform(0, 10):.1f}"),
            ("Tags", lambda: ", ".join(self.noun() for _ in range(self.r.randint(1, 3)))),
        ]  # fmt: skip
        count = self.r.randint(3, 12)
        columns = self.r.sample(pool, count)
        return self.table(columns, self.cap(300, 4000))

    def fence(self) -> str:
        kind = self.r.choice(("bash", "bash", "python", "json", "sql", "yaml", ""))
        body = {
            "bash": self.bash,
            "python": self.python,
            "json": self.json_pretty,
            "sql": self.sql,
            "yaml": self.yaml,
            "": self.bash,
        }[kind]()
        return f"```{kind}\n{body}\n```"

    def comment(self) -> str:
        return self.finish(self.sentence() if self.r.random() < 0.5 else self.item(_BULLETS_T))

    def bash(self) -> str:
        r = self.r
        svc = _ascii(self.noun()).replace("/", "-") + "-" + r.choice(("api", "worker", "sync"))
        ns = _ascii(self.noun()).replace("/", "-")
        lines = []
        if r.random() < 0.3:
            lines.append("#!/usr/bin/env bash")
            lines.append("set -euo pipefail")
        for _ in range(r.randint(3, 14)):
            k = r.randrange(11)
            if k == 0:
                lines.append(f"# {self.comment()}")
            elif k == 1:
                lines.append(f"## {self.title()}" if r.random() < 0.4 else "#")
            elif k == 2:
                lines.append(f'export {self.snake().upper()}="{self.hex(16)}"')
            elif k == 3:
                lines.append(
                    f"gcloud run deploy {svc} --region=europe-west1 "
                    f"--image=eu.gcr.io/{ns}/{svc}:{self.version()}"
                )
            elif k == 4:
                lines.append(f"kubectl -n {ns} rollout restart deployment/{svc}")
            elif k == 5:
                lines.append(f"kubectl -n {ns} get pods -l app={svc} | grep -v Running")
            elif k == 6:
                lines.append(
                    f"curl -sS -X POST https://api.{self.domain_of(self.company())}/v2/"
                    f'{_ascii(self.noun())}/{self.code()} -H "Authorization: Bearer $TOKEN"'
                )
            elif k == 7:
                lines.append(
                    f'psql "$DATABASE_URL" -c "select count(*) from {self.snake()} where '
                    f"created_at > now() - interval '{r.randint(1, 30)} days';\""
                )
            elif k == 8:
                lines.append(
                    f"aws s3 sync s3://{ns}-{self.hex(6)}/{self.snake()} ./{self.snake()} "
                    '--exclude "*.tmp"'
                )
            elif k == 9:
                lines.append(
                    f'for f in exports/*.csv; do ./{self.snake()}.sh "$f"; done  # {self.noun()}'
                )
            else:
                lines.append(f"sleep {r.randint(1, 120)}  # {self.comment()}")
        return "\n".join(lines)

    def python(self) -> str:
        r = self.r
        fn, col, other = self.snake(), self.snake(), self.snake()
        lines = [f"# {self.comment()}", "import csv", "import json", ""]
        if r.random() < 0.3:
            lines += [f"## {self.title()}", ""]
        lines += [
            f"def {_ascii(self.verb())}_{fn}(rows):",
            f'    """{self.finish(self.sentence())}"""',
            "    total = 0",
            "    for row in rows:",
            f"        # {self.comment()}",
            f'        if float(row["{col}"] or 0) > {self.num()}:',
            f'            total += float(row["{other}"])  # {self.noun()}',
            "    return total",
        ]
        if r.random() < 0.5:
            lines += [
                "",
                "",
                'if __name__ == "__main__":',
                f'    with open("{self.snake()}.csv") as f:',
                f"        print({_ascii(self.verb())}_{fn}(csv.DictReader(f)))",
            ]
        return "\n".join(lines)

    def record(self, keys: int) -> dict[str, object]:
        r = self.r
        out: dict[str, object] = {}
        for _ in range(keys):
            key = self.snake()
            k = r.randrange(8)
            if k == 0:
                out[key] = self.code()
            elif k == 1:
                out[key] = r.randrange(10**6)
            elif k == 2:
                out[key] = self.person()
            elif k == 3:
                out[key] = round(r.uniform(0, 10_000), 2)
            elif k == 4:
                out[key] = r.random() < 0.5
            elif k == 5:
                out[key] = [self.noun() for _ in range(r.randint(0, 4))]
            elif k == 6:
                out[key] = self.date()
            else:
                out[key] = {"id": self.hex(12), "email": self.email(), "place": self.place()}
        return out

    def json_pretty(self) -> str:
        return json.dumps(self.record(self.r.randint(3, 10)), indent=2, ensure_ascii=False)

    def sql(self) -> str:
        r = self.r
        a, b, c = self.snake(), self.snake(), self.snake()
        lines = [f"-- {self.comment()}"]
        if r.random() < 0.3:
            lines.append(f"# {self.comment()}")  # MySQL's comment, not a heading
        lines += [
            f"SELECT t.{a}, t.{b}, SUM(t.{c}) AS total",
            f"FROM {self.snake()} t",
            f"JOIN {self.snake()} u ON u.id = t.{a}_id",
            f"WHERE t.created_at >= '{self.date_iso()}'",
            f"  AND t.status = '{self.adj()}'  -- {self.noun()}",
            "GROUP BY 1, 2",
            "ORDER BY total DESC",
            f"LIMIT {r.randint(10, 500)};",
        ]
        return "\n".join(lines)

    def yaml(self) -> str:
        lines = [f"# {self.comment()}"]
        for _ in range(self.r.randint(3, 10)):
            if self.r.random() < 0.3:
                lines.append(f"{self.snake()}:")
                for _ in range(self.r.randint(1, 4)):
                    lines.append(f"  {self.snake()}: {self.num()}  # {self.noun()}")
            else:
                lines.append(f"{self.snake()}: {self.r.choice((self.num(), self.noun(), 'true'))}")
        return "\n".join(lines)

    def date_iso(self) -> str:
        day = date.fromordinal(737_060 + self.r.randrange(2_900))
        return day.isoformat()

    def long_line(self) -> str:
        """A pasted log line or JSON blob of 1 to 3 KB, on one line."""
        r = self.r
        length = min(r.randint(1000, 3000), max(400, self.left))
        if r.random() < 0.5:
            blob = self.record(6)
            text = json.dumps(blob, ensure_ascii=False, separators=(",", ":"))
            while len(text) < length:
                blob[self.snake()] = self.record(r.randint(2, 6))
                text = json.dumps(blob, ensure_ascii=False, separators=(",", ":"))
            return text
        level = r.choice(("INFO", "WARN", "ERROR", "DEBUG"))
        parts = [
            f"{self.date_iso()}T{r.randrange(24):02d}:{r.randrange(60):02d}:"
            f"{r.randrange(60):02d}.{r.randrange(1000):03d}Z {level} "
            f"[{_ascii(self.noun())}-worker-{r.randrange(12)}] {self.item(_BULLETS_T)}"
        ]
        size = len(parts[0])
        while size < length:
            k = r.randrange(5)
            if k == 0:
                part = f"request_id={self.hex(32)}"
            elif k == 1:
                part = f"{self.snake()}={self.num()}"
            elif k == 2:
                part = f'{self.snake()}="{self.item(_BULLETS_T)}"'
            elif k == 3:
                part = f"user={self.email()}"
            else:
                part = f"payload={json.dumps(self.record(3), ensure_ascii=False)}"
            parts.append(part)
            size += len(part) + 1
        return " ".join(parts)

    def misc(self) -> str:
        """Something dropped into any page."""
        k = self.r.randrange(14)
        if k == 0:
            return self.aside()
        if k == 1:
            return self.toggle()
        if k == 2:
            return self.fence()
        if k == 3:
            return self.long_line()
        if k == 4:
            return self.any_table()
        if k == 5:
            return "---"
        if k == 6:
            alt = self.r.choice(("Untitled", "Screenshot", "image"))
            return f"![{alt}]({self.hex(8)}/Untitled%20{self.r.randint(1, 9)}.png)"
        if k == 7:
            return f"{self.link()}"
        if k == 8:
            return f"> {self.finish(self.sentence())}"
        if k == 9:
            return self.todos()
        if k == 10:
            return f"{self.emoji()} {self.paragraph(1, 2)}"
        return self.paragraph()

    # -- pages ------------------------------------------------------------------------------

    def meeting(self) -> _Page:
        r = self.r
        kind = r.choice(
            ("Weekly sync", "Standup", "1:1", "Ops review", "Leadership", "Retro", "QBR", "Kickoff")
        )
        name = f"{kind} — {self.company()}" if kind in ("QBR", "Kickoff") else kind
        if kind == "1:1":
            name = f"1:1 {self.first()} / {self.first()}"
        lead = self.lead(f"{self.emoji()} {name}" if r.random() < 0.3 else name)
        if lead:
            yield lead
        people = ", ".join(self.mention() for _ in range(r.randint(2, 7)))
        yield f"Attendees: {people}\nWhere: {self.place()} / Zoom"
        day = self.day()
        for _ in range(r.randint(3, 40)):
            day -= r.choice((1, 3, 7, 7, 7, 14))
            when = self.date(day)
            if self.headings == "deep" and r.random() < 0.6:
                yield self.heading(4, when)
            elif r.random() < 0.7:
                yield f"**{when}**"
            else:
                yield f"{when} — {self.finish(self.sentence())}"
            yield self.bullets(2, 9)
            if r.random() < 0.6:
                yield r.choice(("**Action items**", "Action items:", "**Next steps**", "TODO"))
                yield self.todos()
            if r.random() < 0.15:
                yield self.misc()

    def decisions(self) -> _Page:
        r = self.r
        lead = self.lead(r.choice(("Decision log", "Decisions", "📌 Decisions", "What we decided")))
        if lead:
            yield lead
        if r.random() < 0.5:
            yield self.paragraph(1, 3)
        extra: list[tuple[str, Callable[[], str]]] = [
            ("Status", lambda: r.choice(_STATUSES)), ("Cost", self.money),
            ("Link", self.link), ("Ticket", self.code), ("Review by", self.date),
            ("Impact", lambda: r.choice(("low", "medium", "high", "🔥"))),
        ]  # fmt: skip
        for _ in range(r.randint(1, 4)):
            columns: list[tuple[str, Callable[[], str]]] = [
                ("Date", self.date),
                ("Decision", lambda: self.finish(_cap(self.fill(r.choice(_CHANGES_T))))),
                ("Owner", self.mention),
                ("Why", lambda: self.finish(self.sentence())),
            ]
            columns += r.sample(extra, r.randint(0, 4))
            if r.random() < 0.5:
                yield self.pseudo(str(r.randint(2019, 2026)))
            yield self.table(columns, self.cap(1500, 30_000))

    def thread(self) -> _Page:
        r = self.r
        lead = self.lead(f"Re: {self.title()}" if r.random() < 0.5 else None)
        if lead:
            yield lead
        sender, to = self.person(), self.person()
        yield (
            f"From: {sender} <{self.email(sender)}>\nSent: {self.date()} {self.clock()}\n"
            f"To: {to} <{self.email(to)}>\n"
            + (f"Cc: {self.email()}, {self.email()}\n" if r.random() < 0.5 else "")
            + f"Subject: {r.choice(('Re: ', 'Fwd: ', 'RE: ', ''))}{self.title()}"
        )
        yield f"Hi {to.split(' ')[0]},"
        for _ in range(r.randint(2, 6)):
            yield self.paragraph(3, 9)
        closer = r.choice(_CLOSERS)
        yield f"{closer}\n{sender.split(' ')[0]}\n{self.company()} · {self.phone()}"
        for depth in range(r.randint(1, 3)):
            prefix = "> " * (depth + 1)
            who = self.person()
            yield f"{prefix[2:]}On {self.date()}, {who} <{self.email(who)}> wrote:"
            quoted = [self.wrap(self.paragraph(2, 6), 72, prefix) for _ in range(r.randint(1, 3))]
            yield f"\n{prefix.rstrip()}\n".join(quoted)

    def article(self) -> _Page:
        r = self.r
        lead = self.lead()
        if lead:
            yield lead
        yield (
            f"Source: {self.url()}"
            if r.random() < 0.6
            else f"*Pasted from {self.company()}’s blog, {self.date()}*"
        )
        for _ in range(r.randint(4, 30)):
            k = r.random()
            if k < 0.7:
                yield self.paragraph(4, 11)
            elif k < 0.82:
                yield f"> {self.finish('“' + self.sentence() + '”')}"
            elif k < 0.9:
                sub = self.sub()
                if sub:
                    yield sub
            else:
                yield self.misc()

    def runbook(self) -> _Page:
        r = self.r
        lead = self.lead(f"{self.emoji()} {self.title()}" if r.random() < 0.3 else None)
        if lead:
            yield lead
        yield f"Owner: {self.mention()} · Last verified: {self.date()}"
        if r.random() < 0.6:
            yield f"<aside>\n⚠️ {self.paragraph(1, 2)}\n\n</aside>"
        for depth in range(r.randint(1, 6)):
            sub = self.sub(depth % 2)
            if sub:
                yield sub
            yield self.steps(3, 12)
            if r.random() < 0.5:
                yield self.fence()
            if r.random() < 0.3:
                yield f"<details>\n<summary>Rollback</summary>\n\n{self.steps(2, 5)}\n\n</details>"
            if r.random() < 0.3:
                yield self.misc()

    def crm(self) -> _Page:
        r = self.r
        lead = self.lead(r.choice(("Accounts", "Pipeline", "Customers", "Partners", "Leads")))
        if lead:
            yield lead
        row = {"account": "", "contact": ""}  # one row's account and contact, for its email

        def account() -> str:
            row["account"], row["contact"] = self.company(), self.person()
            return row["account"]

        columns: list[tuple[str, Callable[[], str]]] = [
            ("Account", account), ("Contact", lambda: row["contact"]),
            ("Email", lambda: self.email(row["contact"], row["account"])),
            ("Phone", self.phone), ("Stage", lambda: r.choice(_STAGES)), ("ARR", self.money),
            ("Owner", self.mention), ("Region", self.place), ("Renewal", self.date),
            ("Last touch", self.date), ("Next step", self.short),
            ("Notes", lambda: self.finish(self.sentence())),
        ]  # fmt: skip
        keep = sorted(r.sample(range(1, len(columns)), r.randint(2, 11)))
        chosen = [columns[0]] + [columns[i] for i in keep]
        yield self.table(chosen, self.cap(3000, 60_000))
        if r.random() < 0.5:
            yield self.paragraph(1, 4)

    def changelog(self) -> _Page:
        r = self.r
        lead = self.lead(r.choice(("Changelog", "What changed", "Release notes", "🚀 Shipped")))
        if lead:
            yield lead
        day, major, minor, patch = self.day(), r.randint(1, 6), r.randint(0, 40), r.randint(0, 9)
        for _ in range(r.randint(3, 40)):
            day -= r.randint(1, 20)
            if r.random() < 0.6:
                yield f"**v{major}.{minor}.{patch}** — {self.date(day)}"
            else:
                yield self.pseudo(self.date(day))
            patch -= 1
            if patch < 0:
                minor, patch = minor - 1, r.randint(0, 9)
                if minor < 0:
                    major, minor = max(0, major - 1), r.randint(5, 40)
            yield self.bullets(2, 10, _CHANGES_T)

    def scratch(self) -> _Page:
        lead = self.lead()
        if lead:
            yield lead
        if self.r.random() < 0.5:
            yield self.properties()
        for _ in range(self.r.randint(3, 20)):
            yield self.misc() if self.r.random() < 0.5 else self.paragraph(1, 5)
            if self.r.random() < 0.15:
                sub = self.sub()
                if sub:
                    yield sub

    def faq(self) -> _Page:
        lead = self.lead(self.r.choice(("FAQ", "Questions we keep getting", "❓ FAQ")))
        if lead:
            yield lead
        for _ in range(self.r.randint(3, 25)):
            question = self.fill(self.r.choice(_QUOTES_T))
            if self.r.random() < 0.4:
                answer = self.paragraph(1, 4)
                yield f"<details>\n<summary>{_cap(question)}?</summary>\n\n{answer}\n\n</details>"
            else:
                yield f"**{_cap(question)}?**"
                yield self.paragraph(1, 5)

    # -- the document -----------------------------------------------------------------------

    def add(self, block: str) -> None:
        self.size += len(block.encode()) + (2 if self.out else 0)
        self.out.append(block)

    def domain(self, title: str, end: int) -> None:
        r = self.r
        self.topic = r.sample(self.lex.nouns, 60)
        self.topic_verbs = r.sample(self.lex.verbs, 20)
        self.topic_adjectives = r.sample(self.lex.adjectives, 20)
        self.cast = [self.lex.people.draw() for _ in range(r.randint(6, 18))]
        self.headings = r.choices(("none", "sparse", "deep"), (25, 45, 30))[0]
        self.indent = r.choice(("  ", "    "))
        kinds = [
            self.meeting, self.decisions, self.thread, self.article, self.runbook, self.crm,
            self.changelog, self.scratch, self.faq,
        ]  # fmt: skip
        weights = [r.random() ** 2 + 0.02 for _ in kinds]
        self.add(f"## {title}")
        if r.random() < 0.5:
            self.add(self.paragraph(1, 3))
        while self.size < end:
            self.date_style = r.randrange(12)
            self.curly = r.random() < 0.6
            page = r.choices(kinds, weights)[0]()
            while self.size < end:
                self.left = end - self.size  # what the next block may take
                block = next(page, None)
                if block is None:
                    break
                self.add(block)
            page.close()

    def domain_title(self, taken: set[str]) -> str:
        r = self.r
        while True:
            area = r.choice(AREAS)
            form = r.randrange(8)
            if form == 0:
                text = f"{area} {r.choice(_AREA_QUALIFIERS)}"
            elif form == 1:
                text = f"{area} — {self.place()}"
            elif form == 2:
                text = f"{self.emoji()} {area}"
            elif form == 3:
                text = f"{area} & {r.choice(AREAS)}"
            elif form == 4:
                text = f"{self.lex.people.draw().split(' ')[0]}’s {area.lower()} notes"
            elif form == 5:
                text = f"{area} ({self.company()})"
            elif form == 6:
                text = f"{area} {r.choice(_AREA_QUALIFIERS)} {self.emoji()}"
            else:
                text = area
            if text not in taken:
                taken.add(text)
                return text


def notes(target_bytes: int, domains: int = 40, seed: int = 3) -> str:
    """About ``target_bytes`` of UTF-8 (within a few hundred bytes past ~100 KB) in the shape
    of operators' own Notion pages: ``# title``, an intro, then ``domains`` ``## `` sections."""
    rng = random.Random(seed)
    w = _Writer(rng)
    company = w.company()
    w.topic = rng.sample(w.lex.nouns, 60)
    w.topic_verbs = rng.sample(w.lex.verbs, 20)
    w.topic_adjectives = rng.sample(w.lex.adjectives, 20)
    w.add(f"# {company} — {rng.choice(('Team workspace', 'Ops notebook', 'Company wiki'))}")
    w.add(
        f"Exported from Notion on {w.date()}. Everything the team keeps here, as it was "
        f"written: {w.paragraph(1, 2)}"
    )
    taken: set[str] = set()
    titles = [w.domain_title(taken) for _ in range(domains)]
    start = w.size
    per = max(0, target_bytes - 1 - start) / max(1, domains)
    for k, title in enumerate(titles, 1):
        w.domain(title, int(start + per * k))
    return "\n\n".join(w.out) + "\n"
