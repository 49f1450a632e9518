"""A fourth large-index shape: a small multinational company's knowledge base, exported.

:func:`wiki` writes one monolith (``# title``, a short intro, then ``domains`` sections under
``## `` headings) out of nothing but the word lists and rules in this module. It was written
by another hand than the three other generators (``bench.index``'s two and ``bench.notes``)
and draws no text from ``examples/`` or from them, so that build speed and memory are also
measured on a shape the code was not tuned on.

Each domain is a wiki space of many small pages, the way Confluence-like exports look:
``###`` articles (some with ``####`` sub-articles) of one to five short paragraphs, ``Term:
definition`` lists, FAQ pairs (``**Q:** … / **A:** …``), two-column glossary tables, "See
also" lists of relative links (``[Title](../space/page.md#anchor)``), SKU catalogs as long
bullet lists, price lists in European number formats, location cards with postal addresses,
phone numbers and IBAN-like codes. Every space has an "Overview", a "FAQ" and a "Contacts"
page, so those headings repeat across spaces; a few titles carry emoji or Greek, Cyrillic or
Japanese words; a few articles are one line and a few are 2 to 4 KB.

About half the text is English; the rest is German, Spanish, French and Dutch, from a
vocabulary of parallel word lists (so that glossaries can pair them) and sentence templates
written for each language, with product and legal terms left in English and some pages in
two languages. People, towns, streets and products are invented from syllables, per country,
in pools that grow with the size asked for and are drawn long-tailed (log-uniform), so the
vocabulary keeps growing with the text. Everything comes from one ``random.Random(seed)``.

    from bench.wiki import wiki
    text = wiki(20_000_000)        # about 20 MB, 40 spaces
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Callable

LANGS = ("en", "de", "es", "fr", "nl")

# One concept a line: English | German | Spanish | French | Dutch, with the gender (m/f/n) or
# the Dutch article (de/het) before the word. The lines line up so glossaries can pair them.
_NOUNS = """
invoice | f:Rechnung | f:factura | f:facture | de:factuur
delivery note | m:Lieferschein | m:albarán | m:bon de livraison | de:pakbon
purchase order | f:Bestellung | m:pedido | m:bon de commande | de:inkooporder
warehouse | n:Lager | m:almacén | m:entrepôt | het:magazijn
shipment | f:Lieferung | m:envío | f:expédition | de:zending
pallet | f:Palette | m:palé | f:palette | de:pallet
customer | m:Auftraggeber | m:cliente | m:client | de:klant
supplier | m:Zulieferbetrieb | m:proveedor | m:fournisseur | de:leverancier
contract | m:Vertrag | m:contrato | m:contrat | het:contract
renewal | f:Verlängerung | f:renovación | m:renouvellement | de:verlenging
warranty | f:Gewährleistung | f:garantía | f:garantie | de:garantie
return | f:Rücksendung | f:devolución | m:retour | de:retourzending
refund | f:Erstattung | m:reembolso | m:remboursement | de:terugbetaling
credit note | f:Gutschrift | m:abono | m:avoir | de:creditnota
price list | f:Preisliste | f:lista de precios | f:grille tarifaire | de:prijslijst
discount | m:Rabatt | m:descuento | f:remise | de:korting
quote | n:Angebot | m:presupuesto | m:devis | de:offerte
tender | f:Ausschreibung | f:licitación | m:appel d'offres | de:aanbesteding
lead time | f:Lieferzeit | m:plazo de entrega | m:délai de livraison | de:levertijd
stock level | m:Lagerbestand | m:nivel de existencias | m:niveau de stock | de:voorraad
reorder point | m:Meldebestand | m:punto de pedido | m:seuil de réapprovisionnement | het:bestelpunt
batch | f:Charge | m:lote | m:lot | de:partij
serial number | f:Seriennummer | m:número de serie | m:numéro de série | het:serienummer
label | n:Etikett | f:etiqueta | f:étiquette | het:etiket
carton | m:Karton | f:caja | m:carton | de:doos
forklift | m:Gabelstapler | f:carretilla elevadora | m:chariot élévateur | de:heftruck
loading dock | f:Laderampe | m:muelle de carga | m:quai de chargement | het:laadperron
carrier | m:Spediteur | m:transportista | m:transporteur | de:vervoerder
freight | f:Fracht | m:flete | m:fret | de:vracht
customs declaration | f:Zollanmeldung | f:declaración aduanera | f:déclaration en douane
    | de:douaneaangifte
tariff code | f:Zolltarifnummer | m:código arancelario | f:nomenclature douanière | de:goederencode
payment term | f:Zahlungsbedingung | f:condición de pago | f:condition de paiement
    | de:betalingstermijn
payment reminder | f:Mahnung | m:recordatorio de pago | f:relance | de:aanmaning
bank transfer | f:Überweisung | f:transferencia | m:virement | de:overboeking
direct debit | f:Lastschrift | f:domiciliación | m:prélèvement | de:incasso
cost centre | f:Kostenstelle | m:centro de coste | m:centre de coûts | de:kostenplaats
budget | n:Budget | m:presupuesto anual | m:budget | het:budget
forecast | f:Prognose | f:previsión | f:prévision | de:prognose
onboarding plan | m:Einarbeitungsplan | m:plan de acogida | m:parcours d'intégration
    | het:inwerkplan
laptop | m:Laptop | m:portátil | m:ordinateur portable | de:laptop
badge | m:Mitarbeiterausweis | f:tarjeta de acceso | m:badge | de:toegangspas
access request | m:Zugangsantrag | f:solicitud de acceso | f:demande d'accès | het:toegangsverzoek
password | n:Passwort | f:contraseña | m:mot de passe | het:wachtwoord
printer | m:Drucker | f:impresora | f:imprimante | de:printer
meeting room | m:Besprechungsraum | f:sala de reuniones | f:salle de réunion | de:vergaderruimte
travel request | m:Reiseantrag | f:solicitud de viaje | f:demande de déplacement | de:reisaanvraag
expense report | f:Reisekostenabrechnung | f:nota de gastos | f:note de frais | de:declaratie
receipt | m:Beleg | m:recibo | m:justificatif | het:bonnetje
mileage allowance | f:Kilometerpauschale | m:kilometraje | f:indemnité kilométrique
    | de:kilometervergoeding
per diem | n:Tagegeld | f:dieta | f:indemnité journalière | de:dagvergoeding
holiday request | m:Urlaubsantrag | f:solicitud de vacaciones | f:demande de congé
    | het:verlofverzoek
sick note | f:Krankmeldung | f:baja médica | m:arrêt maladie | de:ziekmelding
payslip | f:Gehaltsabrechnung | f:nómina | f:fiche de paie | de:loonstrook
pension scheme | f:Betriebsrente | m:plan de pensiones | f:retraite complémentaire
    | de:pensioenregeling
works council | m:Betriebsrat | m:comité de empresa | m:comité social et économique
    | de:ondernemingsraad
training | f:Schulung | f:formación | f:formation | de:training
certificate | n:Zertifikat | m:certificado | m:certificat | het:certificaat
audit | n:Audit | f:auditoría | m:audit | de:audit
inspection | f:Begehung | f:inspección | f:inspection | de:inspectie
complaint | f:Reklamation | f:reclamación | f:réclamation | de:klacht
ticket | n:Ticket | f:incidencia | m:ticket | het:ticket
escalation | f:Eskalation | f:escalada | f:escalade | de:escalatie
hotline | f:Hotline | f:línea de atención | f:assistance téléphonique | de:helpdesk
spare part | n:Ersatzteil | m:repuesto | f:pièce de rechange | het:reserveonderdeel
repair | f:Reparatur | f:reparación | f:réparation | de:reparatie
technician | m:Techniker | m:técnico | m:technicien | de:monteur
site visit | m:Vor-Ort-Termin | f:visita técnica | f:visite sur site | het:locatiebezoek
installation | f:Montage | f:instalación | f:installation | de:installatie
user manual | f:Bedienungsanleitung | m:manual de usuario | m:mode d'emploi | de:handleiding
datasheet | n:Datenblatt | f:ficha técnica | f:fiche technique | het:datablad
drawing | f:Zeichnung | m:plano | m:plan | de:tekening
tolerance | f:Toleranz | f:tolerancia | f:tolérance | de:tolerantie
coating | f:Beschichtung | m:recubrimiento | m:revêtement | de:coating
alloy | f:Legierung | f:aleación | m:alliage | de:legering
gasket | f:Dichtung | f:junta | m:joint | de:pakking
bracket | m:Winkel | m:soporte | f:équerre | de:beugel
hinge | n:Scharnier | f:bisagra | f:charnière | het:scharnier
valve | n:Ventil | f:válvula | f:vanne | de:klep
sensor | m:Sensor | m:sensor | m:capteur | de:sensor
cable | n:Kabel | m:cable | m:câble | de:kabel
connector | m:Stecker | m:conector | m:connecteur | de:stekker
housing | n:Gehäuse | f:carcasa | m:boîtier | de:behuizing
prototype | n:Funktionsmuster | m:prototipo | m:prototype | het:prototype
sample | n:Muster | f:muestra | m:échantillon | het:monster
trade fair | f:Messe | f:feria | m:salon professionnel | de:beurs
brochure | m:Prospekt | m:folleto | f:brochure | de:folder
newsletter | m:Newsletter | m:boletín | f:lettre d'information | de:nieuwsbrief
campaign | f:Kampagne | f:campaña | f:campagne | de:campagne
distributor | m:Händler | m:distribuidor | m:distributeur | de:distributeur
sales territory | n:Verkaufsgebiet | f:zona de ventas | m:secteur de vente | het:rayon
commission | f:Provision | f:comisión | f:commission | de:provisie
margin | f:Marge | m:margen | f:marge | de:marge
branch office | f:Niederlassung | f:sucursal | f:agence | de:vestiging
head office | f:Zentrale | f:sede central | m:siège | het:hoofdkantoor
reception | m:Empfang | f:recepción | f:accueil | de:receptie
mailroom | f:Poststelle | f:sala de correo | m:service courrier | de:postkamer
parking space | m:Parkplatz | f:plaza de aparcamiento | f:place de parking | de:parkeerplaats
canteen | f:Kantine | m:comedor | f:cantine | de:kantine
fire drill | f:Brandschutzübung | m:simulacro de incendio | m:exercice d'évacuation
    | de:ontruimingsoefening
first-aid kit | m:Verbandskasten | m:botiquín | f:trousse de secours | de:verbandtrommel
safety shoe | m:Sicherheitsschuh | m:calzado de seguridad | f:chaussure de sécurité
    | de:veiligheidsschoen
helmet | m:Schutzhelm | m:casco | m:casque | de:helm
permit | f:Genehmigung | m:permiso | f:autorisation | de:vergunning
waste container | m:Abfallbehälter | m:contenedor | m:conteneur à déchets | de:afvalcontainer
energy meter | m:Stromzähler | m:contador eléctrico | m:compteur électrique | de:energiemeter
heating | f:Heizung | f:calefacción | m:chauffage | de:verwarming
backup | f:Datensicherung | f:copia de seguridad | f:sauvegarde | de:back-up
server room | m:Serverraum | f:sala de servidores | f:salle serveur | de:serverruimte
licence | f:Lizenz | f:licencia | f:licence | de:licentie
subscription | n:Abonnement | f:suscripción | m:abonnement | het:abonnement
policy | f:Richtlinie | f:política | f:politique | het:beleid
template | f:Vorlage | f:plantilla | m:modèle | het:sjabloon
approval | f:Freigabe | f:aprobación | f:validation | de:goedkeuring
signature | f:Unterschrift | f:firma | f:signature | de:handtekening
archive | n:Archiv | m:archivo | f:archive | het:archief
retention period | f:Aufbewahrungsfrist | m:periodo de conservación | f:durée de conservation
    | de:bewaartermijn
consent | f:Einwilligung | m:consentimiento | m:consentement | de:toestemming
privacy notice | f:Datenschutzerklärung | m:aviso de privacidad
    | f:politique de confidentialité | de:privacyverklaring
translation | f:Übersetzung | f:traducción | f:traduction | de:vertaling
key | m:Schlüssel | f:llave | f:clé | de:sleutel
company car | m:Dienstwagen | m:coche de empresa | f:voiture de fonction | de:leaseauto
fuel card | f:Tankkarte | f:tarjeta de combustible | f:carte carburant | de:tankpas
fleet | m:Fuhrpark | f:flota | m:parc automobile | het:wagenpark
maintenance | f:Wartung | m:mantenimiento | m:entretien | het:onderhoud
outage | f:Störung | f:avería | f:panne | de:storing
field service | m:Außendienst | m:servicio técnico | m:service terrain | de:buitendienst
order confirmation | f:Auftragsbestätigung | f:confirmación de pedido | m:accusé de commande
    | de:orderbevestiging
goods receipt | m:Wareneingang | f:recepción de mercancía | f:réception des marchandises
    | de:goederenontvangst
stocktake | f:Inventur | m:inventario | m:inventaire | de:inventarisatie
picking list | f:Kommissionierliste | f:lista de picking | f:liste de préparation | de:picklijst
packaging | f:Verpackung | m:embalaje | m:emballage | de:verpakking
unit price | m:Stückpreis | m:precio unitario | m:prix unitaire | de:stuksprijs
VAT number | f:Umsatzsteuer-ID | m:NIF intracomunitario | m:numéro de TVA | het:btw-nummer
annual accounts | m:Jahresabschluss | m:cierre anual | f:clôture annuelle | de:jaarrekening
bill of materials | f:Stückliste | f:lista de materiales | f:nomenclature | de:stuklijst
screw | f:Schraube | m:tornillo | f:vis | de:schroef
nut | f:Mutter | f:tuerca | m:écrou | de:moer
washer | f:Unterlegscheibe | f:arandela | f:rondelle | de:ring
due date | n:Fälligkeitsdatum | f:fecha de vencimiento | f:échéance | de:vervaldatum
delivery | f:Zustellung | f:entrega | f:livraison | de:levering
order | m:Auftrag | m:encargo | f:commande | de:bestelling
shelf | n:Regal | f:estantería | m:rayonnage | de:stelling
dispatch area | m:Versandbereich | f:zona de expedición | f:zone d'expédition | de:expeditieruimte
customer number | f:Kundennummer | m:número de cliente | m:numéro client | het:klantnummer
supplier rating | f:Lieferantenbewertung | f:evaluación de proveedores
    | f:évaluation fournisseur | de:leveranciersbeoordeling
non-conformity | f:Abweichung | f:no conformidad | f:non-conformité | de:afwijking
test report | m:Prüfbericht | m:informe de ensayo | m:rapport d'essai | het:testrapport
calibration | f:Kalibrierung | f:calibración | m:étalonnage | de:kalibratie
job description | f:Stellenbeschreibung | f:descripción del puesto | f:fiche de poste
    | de:functieomschrijving
job posting | f:Stellenanzeige | f:oferta de empleo | f:offre d'emploi | de:vacature
job interview | n:Vorstellungsgespräch | f:entrevista | m:entretien d'embauche
    | het:sollicitatiegesprek
probation period | f:Probezeit | m:periodo de prueba | f:période d'essai | de:proeftijd
overtime | f:Mehrarbeit | f:hora extra | f:heure supplémentaire | het:overwerk
shift plan | m:Schichtplan | m:cuadrante | m:planning des équipes | het:rooster
remote work | n:Homeoffice | m:teletrabajo | m:télétravail | het:thuiswerken
work phone | n:Diensthandy | m:móvil de empresa | m:téléphone professionnel | de:bedrijfstelefoon
headset | n:Headset | m:auricular | m:casque audio | de:headset
monitor | m:Bildschirm | m:monitor | m:écran | het:beeldscherm
"""

# The things a catalog sells (English names from the list above).
_GOODS = (
    "screw nut washer bracket hinge valve sensor cable connector housing gasket label carton "
    "pallet helmet headset monitor printer"
).split()
_GOODS_MULTI = ("safety shoe", "first-aid kit", "spare part")

# Infinitive:participle, one concept a line, as above.
_VERBS = """
check:checked | prüfen:geprüft | revisar:revisado | vérifier:vérifié | controleren:gecontroleerd
approve:approved | freigeben:freigegeben | aprobar:aprobado | valider:validé
    | goedkeuren:goedgekeurd
submit:submitted | einreichen:eingereicht | presentar:presentado | soumettre:soumis
    | indienen:ingediend
archive:archived | archivieren:archiviert | archivar:archivado | archiver:archivé
    | archiveren:gearchiveerd
update:updated | aktualisieren:aktualisiert | actualizar:actualizado
    | mettre à jour:mis à jour | bijwerken:bijgewerkt
renew:renewed | verlängern:verlängert | renovar:renovado | renouveler:renouvelé | verlengen:verlengd
cancel:cancelled | stornieren:storniert | anular:anulado | annuler:annulé | annuleren:geannuleerd
confirm:confirmed | bestätigen:bestätigt | confirmar:confirmado | confirmer:confirmé
    | bevestigen:bevestigd
ship:shipped | versenden:versendet | enviar:enviado | expédier:expédié | verzenden:verzonden
receive:received | annehmen:angenommen | recibir:recibido | réceptionner:réceptionné
    | ontvangen:ontvangen
book:booked | buchen:gebucht | reservar:reservado | réserver:réservé | boeken:geboekt
invoice:invoiced | abrechnen:abgerechnet | facturar:facturado | facturer:facturé
    | factureren:gefactureerd
reimburse:reimbursed | erstatten:erstattet | reembolsar:reembolsado | rembourser:remboursé
    | vergoeden:vergoed
escalate:escalated | eskalieren:eskaliert | escalar:escalado | faire remonter:remonté
    | escaleren:geëscaleerd
assign:assigned | zuweisen:zugewiesen | asignar:asignado | attribuer:attribué | toewijzen:toegewezen
close:closed | abschließen:abgeschlossen | cerrar:cerrado | clôturer:clôturé | afsluiten:afgesloten
print:printed | drucken:gedruckt | imprimir:impreso | imprimer:imprimé | afdrukken:afgedrukt
scan:scanned | scannen:gescannt | escanear:escaneado | numériser:numérisé | scannen:gescand
sign:signed | unterschreiben:unterschrieben | firmar:firmado | signer:signé
    | ondertekenen:ondertekend
forward:forwarded | weiterleiten:weitergeleitet | reenviar:reenviado | transférer:transféré
    | doorsturen:doorgestuurd
translate:translated | übersetzen:übersetzt | traducir:traducido | traduire:traduit
    | vertalen:vertaald
order:ordered | bestellen:bestellt | pedir:pedido | commander:commandé | bestellen:besteld
count:counted | zählen:gezählt | contar:contado | compter:compté | tellen:geteld
label:labelled | etikettieren:etikettiert | etiquetar:etiquetado | étiqueter:étiqueté
    | etiketteren:geëtiketteerd
pack:packed | verpacken:verpackt | embalar:embalado | emballer:emballé | inpakken:ingepakt
store:stored | einlagern:eingelagert | almacenar:almacenado | stocker:stocké | opslaan:opgeslagen
return:returned | zurücksenden:zurückgesendet | devolver:devuelto | retourner:retourné
    | terugsturen:teruggestuurd
replace:replaced | ersetzen:ersetzt | sustituir:sustituido | remplacer:remplacé
    | vervangen:vervangen
repair:repaired | reparieren:repariert | reparar:reparado | réparer:réparé | repareren:gerepareerd
calibrate:calibrated | kalibrieren:kalibriert | calibrar:calibrado | étalonner:étalonné
    | kalibreren:gekalibreerd
install:installed | installieren:installiert | instalar:instalado | installer:installé
    | installeren:geïnstalleerd
test:tested | testen:getestet | probar:probado | tester:testé | testen:getest
measure:measured | messen:gemessen | medir:medido | mesurer:mesuré | meten:gemeten
record:recorded | erfassen:erfasst | registrar:registrado | enregistrer:enregistré
    | registreren:geregistreerd
report:reported | melden:gemeldet | comunicar:comunicado | signaler:signalé | melden:gemeld
plan:planned | planen:geplant | planificar:planificado | planifier:planifié | plannen:gepland
negotiate:negotiated | verhandeln:verhandelt | negociar:negociado | négocier:négocié
    | uitonderhandelen:uitonderhandeld
pay:paid | bezahlen:bezahlt | pagar:pagado | payer:payé | betalen:betaald
credit:credited | gutschreiben:gutgeschrieben | abonar:abonado | créditer:crédité
    | crediteren:gecrediteerd
export:exported | exportieren:exportiert | exportar:exportado | exporter:exporté
    | exporteren:geëxporteerd
delete:deleted | löschen:gelöscht | borrar:borrado | supprimer:supprimé | verwijderen:verwijderd
restore:restored | wiederherstellen:wiederhergestellt | restaurar:restaurado
    | restaurer:restauré | herstellen:hersteld
request:requested | beantragen:beantragt | solicitar:solicitado | demander:demandé
    | aanvragen:aangevraagd
publish:published | veröffentlichen:veröffentlicht | publicar:publicado | publier:publié
    | publiceren:gepubliceerd
document:documented | dokumentieren:dokumentiert | documentar:documentado
    | documenter:documenté | documenteren:gedocumenteerd
collect:collected | abholen:abgeholt | recoger:recogido | récupérer:récupéré | ophalen:opgehaald
deliver:delivered | liefern:geliefert | entregar:entregado | livrer:livré | leveren:geleverd
prepare:prepared | vorbereiten:vorbereitet | preparar:preparado | préparer:préparé
    | klaarzetten:klaargezet
change:changed | ändern:geändert | modificar:modificado | modifier:modifié | wijzigen:gewijzigd
create:created | anlegen:angelegt | crear:creado | créer:créé | aanmaken:aangemaakt
fill in:filled in | ausfüllen:ausgefüllt | rellenar:rellenado | remplir:rempli | invullen:ingevuld
coordinate:coordinated | abstimmen:abgestimmt | coordinar:coordinado | coordonner:coordonné
    | afstemmen:afgestemd
take over:taken over | übernehmen:übernommen | asumir:asumido | reprendre:repris
    | overnemen:overgenomen
process:processed | bearbeiten:bearbeitet | tramitar:tramitado | traiter:traité | verwerken:verwerkt
attach:attached | anhängen:angehängt | adjuntar:adjuntado | joindre:joint | bijvoegen:bijgevoegd
download:downloaded | herunterladen:heruntergeladen | descargar:descargado
    | télécharger:téléchargé | downloaden:gedownload
keep:kept | aufbewahren:aufbewahrt | conservar:conservado | conserver:conservé | bewaren:bewaard
inspect:inspected | begutachten:begutachtet | inspeccionar:inspeccionado | inspecter:inspecté
    | inspecteren:geïnspecteerd
reset:reset | zurücksetzen:zurückgesetzt | restablecer:restablecido
    | réinitialiser:réinitialisé | resetten:gereset
block:blocked | sperren:gesperrt | bloquear:bloqueado | bloquer:bloqué | blokkeren:geblokkeerd
unlock:unlocked | entsperren:entsperrt | desbloquear:desbloqueado | débloquer:débloqué
    | deblokkeren:gedeblokkeerd
sort:sorted | sortieren:sortiert | clasificar:clasificado | trier:trié | sorteren:gesorteerd
weigh:weighed | wiegen:gewogen | pesar:pesado | peser:pesé | wegen:gewogen
load:loaded | verladen:verladen | cargar:cargado | charger:chargé | laden:geladen
"""

# Predicative adjectives (the Spanish and French ones in the masculine; agreement is a rule).
_ADJECTIVES = """
new | neu | nuevo | récent | nieuw
current | aktuell | vigente | actuel | actueel
annual | jährlich | anual | annuel | jaarlijks
monthly | monatlich | mensual | mensuel | maandelijks
weekly | wöchentlich | semanal | hebdomadaire | wekelijks
urgent | dringend | urgente | urgent | dringend
optional | optional | opcional | facultatif | optioneel
mandatory | verpflichtend | obligatorio | obligatoire | verplicht
local | lokal | local | local | lokaal
central | zentral | central | central | centraal
internal | intern | interno | interne | intern
external | extern | externo | externe | extern
signed | unterschrieben | firmado | signé | ondertekend
open | offen | abierto | ouvert | open
overdue | überfällig | vencido | échu | achterstallig
pending | ausstehend | pendiente | en attente | lopend
approved | genehmigt | aprobado | approuvé | goedgekeurd
damaged | beschädigt | dañado | endommagé | beschadigd
partial | unvollständig | parcial | partiel | onvolledig
temporary | vorläufig | provisional | provisoire | tijdelijk
final | dauerhaft | definitivo | définitif | definitief
digital | digital | digital | numérique | digitaal
printed | gedruckt | impreso | imprimé | geprint
valid | gültig | válido | valide | geldig
expired | abgelaufen | caducado | expiré | verlopen
complete | vollständig | completo | terminé | volledig
small | klein | pequeño | petit | klein
large | groß | grande | grand | groot
heavy | schwer | pesado | lourd | zwaar
fragile | zerbrechlich | frágil | fragile | breekbaar
free of charge | kostenlos | gratuito | gratuit | gratis
cheap | günstig | barato | bon marché | goedkoop
expensive | teuer | caro | coûteux | duur
available | verfügbar | disponible | disponible | beschikbaar
blocked | gesperrt | bloqueado | bloqué | geblokkeerd
done | erledigt | resuelto | résolu | afgehandeld
important | wichtig | importante | important | belangrijk
usual | üblich | habitual | habituel | gebruikelijk
possible | möglich | posible | possible | mogelijk
necessary | nötig | necesario | nécessaire | nodig
quick | schnell | rápido | rapide | snel
on time | pünktlich | puntual | ponctuel | op tijd
clean | sauber | limpio | propre | schoon
confidential | vertraulich | confidencial | confidentiel | vertrouwelijk
ready | fertig | listo | prêt | gereed
visible | sichtbar | visible | visible | zichtbaar
defective | defekt | defectuoso | défectueux | defect
correct | korrekt | correcto | correct | juist
wet | nass | mojado | mouillé | nat
sealed | versiegelt | precintado | scellé | verzegeld
late | verspätet | retrasado | en retard | te laat
ready to ship | versandbereit | listo para enviar | prêt à expédier | verzendklaar
"""

_MATERIALS = """
galvanised | verzinkt | galvanizado | galvanisé | verzinkt
stainless steel | Edelstahl | acero inoxidable | inox | rvs
black | schwarz | negro | noir | zwart
brass | Messing | latón | laiton | messing
aluminium | Aluminium | aluminio | aluminium | aluminium
nylon | Polyamid | poliamida | polyamide | nylon
white | weiß | blanco | blanc | wit
heat-resistant | hitzebeständig | resistente al calor | résistant à la chaleur | hittebestendig
food-grade | lebensmittelecht | apto para alimentos | qualité alimentaire | voedselveilig
recycled | recycelt | reciclado | recyclé | gerecycled
"""

# Product, contract and legal terms everyone leaves in English.
_TERMS = (
    "Terms and Conditions",
    "Service Level Agreement",
    "Data Processing Agreement",
    "NDA",
    "GDPR",
    "Purchase Order",
    "Master Service Agreement",
    "Code of Conduct",
    "Incoterms 2020",
    "Net 30",
    "Return Merchandise Authorization",
    "Customer Portal",
    "Single Sign-On",
    "Key Account",
    "Business Unit",
    "Compliance Handbook",
    "Go-Live",
    "Release Notes",
    "Cost Center",
    "Sales Kit",
    "Price Book",
    "Help Center",
    "Lead Time",
    "Backorder",
    "Dropshipping",
    "Chargeback",
    "Whistleblowing Policy",
    "Export Control",
    "Dual Use",
    "Safety Data Sheet",
    "Certificate of Conformity",
    "Proof of Delivery",
    "Statement of Work",
    "Change Request",
    "Onboarding Checklist",
    "Travel Policy",
    "Expense Policy",
    "Acceptable Use Policy",
    "Supplier Code",
    "Anti-Bribery Policy",
)

# Sentences, one a line. Slots: n main noun phrase (a, vp agree with it), n2 another (vp2
# agrees with it), na/nd (German accusative/dative), dn (Spanish/French "de" + noun phrase),
# bn bare noun, v infinitive, p person, t town, pr product, d date, m amount, k count,
# code inline code, term an English term, e email, ph phone, xt a town in another script.
_SENTENCES = {
    "en": """
{n} is {vp} by {p} before the end of each month.
Please {v} {n} within {k} working days and quote the reference `{code}`.
If {n} is {a}, {v} it first and let {p} know.
{p} in {t} looks after every {bn} for {pr}.
{n} has to be {vp} before {n2} can be {vp2}.
Once a quarter we {v} {n} and keep a copy in the archive.
Since {d}, {n} for orders above {m} is {vp} automatically.
The {term} covers {n} as well as {n2}.
Ask {p} ({e}) if {n} looks {a}.
In {t}, {n} is {vp} on site; everywhere else {n2} goes to head office.
Never {v} {n} that has not been {vp} yet.
{n} for {pr} costs {m} per unit, shipping not included.
See the {term} for the details on {bn} and {bn}.
Questions about {bn}? Call {ph} between 8:00 and 17:00.
From {d} onwards {n} will be {vp} in the new system.
{n} is {a} by default, so there is usually nothing to do.
Our team in {t} has {k} open requests about {bn} at the moment.
Keep {n} for at least {k} years, as the {term} requires.
When {n} arrives {a}, open a ticket with the reference `{code}`.
{p} and {p} share the {bn} rota for {t}.
The deadline for {n} is {d}.
Most customers in {t} ask for {bn} rather than {bn}.
{n} must be {vp} and signed off by the {term} owner.
Any {a} {bn} is fine for internal use, but not for {pr}.
You will find a template for {n} in the folder `{code}`.
For {pr}, {n} is {vp} by the supplier and not by us.
Without a signature {n} is not valid, even if {p} has agreed to it.
Since the move to {t}, {bn} and {bn} are handled by the same team.
""",
    "de": """
{n} wird bis {d} von {p} {vp}.
Bitte {na} innerhalb von {k} Arbeitstagen {v} und das Zeichen `{code}` angeben.
Wenn {n} {a} ist, bitte zuerst {p} informieren.
{p} aus {t} ist für {na} bei {pr} zuständig.
{n} muss {vp} werden, bevor {n2} {vp2} werden kann.
Einmal im Quartal müssen wir {na} {v} und eine Kopie im Archiv ablegen.
Seit {d} wird {n} für Aufträge über {m} automatisch {vp}.
Laut {term} gilt das auch für {na}.
Bei Fragen zu {nd} bitte {p} ({e}) ansprechen.
In {t} wird {n} vor Ort {vp}, sonst übernimmt das die Zentrale.
{n} darf erst nach der Freigabe {vp} werden.
{n} für {pr} kostet {m} pro Stück zzgl. Versand.
Details zu {nd} siehe {term}.
Fragen zu {nd}? Einfach {ph} anrufen (Mo–Fr 8–17 Uhr).
Ab {d} wird {n} im neuen System {vp}.
Normalerweise ist {n} schon {a}, dann gibt es nichts zu tun.
Das Team in {t} hat derzeit {k} offene Anfragen zu {nd}.
{n} muss mindestens {k} Jahre aufbewahrt werden.
Kommt {n} {a} an, bitte sofort ein Ticket mit dem Vermerk `{code}` anlegen.
{p} und {p} teilen sich den Bereitschaftsdienst für {t}.
Die Frist für {na} endet am {d}.
Viele Kunden in {t} fragen eher nach {nd} als nach {nd}.
Ohne Unterschrift ist {n} nicht gültig, auch wenn {p} schon zugestimmt hat.
Für {na} gibt es eine Vorlage im Ordner `{code}`.
Bei {pr} wird {n} vom Lieferanten {vp}, nicht von uns.
Über {na} entscheidet in der Regel {p}, in dringenden Fällen die Geschäftsführung.
Seit dem Umzug nach {t} kümmert sich ein Team um {na} und {na}.
Wer {na} {v} möchte, braucht vorher eine Freigabe im {term}.
""",
    "es": """
{n} es {vp} por {p} antes de fin de mes.
Hay que {v} {n} en un plazo de {k} días hábiles e indicar la referencia `{code}`.
Si {n} está {a}, avisa primero a {p}.
{p}, de la oficina de {t}, se encarga {dn} de {pr}.
{n} tiene que estar {vp} antes de que {n2} quede {vp2}.
Cada trimestre hay que {v} {n} y guardar una copia en el archivo.
Desde el {d}, {n} para pedidos superiores a {m} se tramita automáticamente.
Según el {term}, esto también vale para {n}.
Si tienes dudas sobre {n}, escribe a {p} ({e}).
En {t}, {n} se gestiona in situ; en el resto de oficinas lo hace la sede central.
No se puede {v} {n} sin la aprobación de {p}.
{n} de {pr} cuesta {m} por unidad, sin gastos de envío.
Más detalles sobre {n} en el {term}.
¿Preguntas sobre {n}? Llama al {ph} de 8:00 a 17:00.
A partir del {d}, {n} será {vp} en el nuevo sistema.
Normalmente {n} ya está {a}, así que no hay que hacer nada.
El equipo de {t} tiene ahora {k} solicitudes abiertas sobre {n}.
{n} se conserva durante al menos {k} años.
Si {n} llega {a}, abre una incidencia con la referencia `{code}`.
{p} y {p} se reparten las guardias de {t}.
El plazo para {n} vence el {d}.
Muchos clientes de {t} piden {n} en lugar de {n2}.
Sin firma, {n} no tiene validez, aunque {p} ya lo haya aprobado.
Hay una plantilla para {n} en la carpeta `{code}`.
En el caso de {pr}, {n} lo gestiona el proveedor y no nosotros.
Normalmente decide {p}; en casos urgentes, la dirección.
Desde la mudanza a {t}, un solo equipo lleva {n} y {n2}.
Para {v} {n} hace falta una aprobación previa en el {term}.
""",
    "fr": """
{n} est {vp} par {p} avant la fin du mois.
Merci de {v} {n} sous {k} jours ouvrés en indiquant la référence `{code}`.
Si {n} est {a}, prévenez d'abord {p}.
{p}, de l'agence de {t}, s'occupe {dn} pour {pr}.
{n} doit être {vp} avant la clôture {dn}.
Chaque trimestre, il faut {v} {n} et en garder une copie aux archives.
Depuis le {d}, {n} des commandes de plus de {m} est {vp} automatiquement.
Selon le {term}, cela vaut aussi pour {n}.
Pour toute question sur {n}, écrivez à {p} ({e}).
À {t}, {n} est {vp} sur place ; ailleurs, c'est le siège qui s'en charge.
Il ne faut jamais {v} {n} sans l'accord de {p}.
{n} pour {pr} coûte {m} l'unité, hors frais de port.
Plus de détails sur {n} dans le {term}.
Une question sur {n} ? Appelez le {ph} entre 8 h et 17 h.
À partir du {d}, {n} sera {vp} dans le nouveau système.
En général, {n} est déjà {a} : il n'y a rien à faire.
L'équipe de {t} a en ce moment {k} demandes ouvertes au sujet {dn}.
On conserve {n} pendant au moins {k} ans.
Si {n} arrive {a}, ouvrez un ticket avec la référence `{code}`.
{p} et {p} se partagent l'astreinte de {t}.
La date limite pour {n} est le {d}.
Beaucoup de clients de {t} demandent {n} plutôt que {n2}.
Sans signature, {n} n'a aucune valeur, même si {p} a donné son accord.
Un modèle pour {n} se trouve dans le dossier `{code}`.
Pour {pr}, c'est le fournisseur qui s'occupe {dn}, pas nous.
En principe, c'est {p} qui décide ; en cas d'urgence, la direction.
Depuis le déménagement à {t}, une seule équipe gère {n} et {n2}.
Pour {v} {n}, il faut d'abord une validation dans le {term}.
""",
    "nl": """
{n} wordt vóór het einde van de maand door {p} {vp}.
Graag {n} binnen {k} werkdagen {v} en het kenmerk `{code}` vermelden.
Als {n} {a} is, eerst {p} informeren.
{p} uit {t} is verantwoordelijk voor {n} van {pr}.
{n} moet {vp} zijn voordat {n2} {vp2} kan worden.
Elk kwartaal moeten we {n} {v} en een kopie in het archief bewaren.
Sinds {d} wordt {n} voor orders boven {m} automatisch {vp}.
Volgens de {term} geldt dit ook voor {n}.
Vragen over {n}? Mail {p} ({e}).
In {t} wordt {n} ter plaatse {vp}; elders doet het hoofdkantoor dat.
{n} nooit {v} zonder akkoord van {p}.
{n} voor {pr} kost {m} per stuk, exclusief verzendkosten.
Meer over {n} staat in de {term}.
Vragen over {n}? Bel {ph} tussen 8.00 en 17.00 uur.
Vanaf {d} wordt {n} in het nieuwe systeem {vp}.
Meestal is {n} al {a}, dus er hoeft niets te gebeuren.
Het team in {t} heeft op dit moment {k} open aanvragen voor {n}.
{n} moet minstens {k} jaar bewaard blijven.
Komt {n} {a} binnen, maak dan een ticket aan met kenmerk `{code}`.
{p} en {p} verdelen de bereikbaarheidsdienst voor {t}.
De deadline voor {n} is {d}.
Veel klanten in {t} vragen eerder om {n} dan om {n2}.
Zonder handtekening is {n} niet geldig, ook al heeft {p} het goedgekeurd.
Een sjabloon voor {n} vind je in de map `{code}`.
Bij {pr} wordt {n} door de leverancier {vp}, niet door ons.
Meestal beslist {p}; bij spoed de directie.
Sinds de verhuizing naar {t} doet één team {n} en {n2}.
Wie {n} wil {v}, heeft eerst een goedkeuring in de {term} nodig.
""",
}

# Rare sentences, with the HTML and the other scripts that a wiki export keeps.
_RARE = {
    "en": """
The CO<sub>2</sub> figures for {n} are reported every year by {p}.
Our distributor in {xt} gets {n} in English only.
Delivery address for {bn}:<br>{p}, {t}
""",
    "de": """
Die CO<sub>2</sub>-Werte für {na} meldet {p} einmal im Jahr.
Unser Händler in {xt} bekommt {na} nur auf Englisch.
Lieferanschrift für {na}:<br>{p}, {t}
""",
    "es": """
Los datos de CO<sub>2</sub> {dn} los comunica {p} una vez al año.
Nuestro distribuidor en {xt} recibe {n} solo en inglés.
Dirección de entrega para {n}:<br>{p}, {t}
""",
    "fr": """
Les chiffres de CO<sub>2</sub> {dn} sont communiqués chaque année par {p}.
Notre distributeur à {xt} reçoit {n} en anglais uniquement.
Adresse de livraison pour {n} :<br>{p}, {t}
""",
    "nl": """
De CO<sub>2</sub>-cijfers voor {n} worden jaarlijks door {p} gemeld.
Onze distributeur in {xt} krijgt {n} alleen in het Engels.
Afleveradres voor {n}:<br>{p}, {t}
""",
}

_QUESTIONS = {
    "en": """
How do I {v} {n}?
Who can {v} {n}?
Where can I find {n} for {pr}?
What happens if {n} is {a}?
When is {n} {vp}?
Can I {v} {n} myself?
Do I need {n} for orders under {m}?
Who is my contact for {bn} in {t}?
""",
    "de": """
Wie kann ich {na} {v}?
Wer darf {na} {v}?
Wo finde ich {na} für {pr}?
Was passiert, wenn {n} {a} ist?
Wann wird {n} {vp}?
Kann ich {na} selbst {v}?
Brauche ich {na} auch bei Aufträgen unter {m}?
Wer ist in {t} für {na} zuständig?
""",
    "es": """
¿Cómo puedo {v} {n}?
¿Quién puede {v} {n}?
¿Dónde encuentro {n} de {pr}?
¿Qué pasa si {n} está {a}?
¿Cuándo queda {n} {vp}?
¿Puedo {v} {n} yo mismo?
¿Hace falta {n} para pedidos de menos de {m}?
¿Quién lleva el tema {dn} en {t}?
""",
    "fr": """
Comment {v} {n} ?
Qui peut {v} {n} ?
Où trouver {n} pour {pr} ?
Que se passe-t-il si {n} est {a} ?
À partir de quand {n} est-il {vp} ?
Puis-je {v} {n} moi-même ?
Faut-il {n} pour les commandes de moins de {m} ?
Qui s'occupe {dn} à {t} ?
""",
    "nl": """
Hoe kan ik {n} {v}?
Wie mag {n} {v}?
Waar vind ik {n} voor {pr}?
Wat gebeurt er als {n} {a} is?
Wanneer wordt {n} {vp}?
Kan ik {n} zelf {v}?
Is {n} ook nodig bij orders onder {m}?
Wie is in {t} verantwoordelijk voor {n}?
""",
}

_TITLES = {
    "en": """
{bn} policy
How to {v} {n}
{bn} for {pr}
{bn} in {t}
Requesting {n}
{bn} checklist
{bn} and {bn}
{term}
{bn}: {a} cases
""",
    "de": """
{bn} {v}
Richtlinie: {bn}
{bn} für {pr}
{bn} am Standort {t}
Checkliste {bn}
{bn} und {bn}
So funktioniert {n}
{term}
""",
    "es": """
Cómo {v} {n}
Política de {bn}
{bn} de {pr}
{bn} en {t}
Lista de control: {bn}
{bn} y {bn}
{term}
""",
    "fr": """
Comment {v} {n}
Procédure : {bn}
{bn} pour {pr}
{bn} à {t}
Check-list {bn}
{bn} et {bn}
{term}
""",
    "nl": """
{bn} {v}
Beleid: {bn}
{bn} voor {pr}
{bn} in {t}
Checklist {bn}
{bn} en {bn}
{term}
""",
}

_OVERVIEW = {
    "en": "This space is kept up to date by {p} and covers {bn}, {bn} and {bn}.",
    "de": "In diesem Bereich pflegt {p} alles rund um {bn}, {bn} und {bn}.",
    "es": "En este espacio, {p} mantiene al día todo lo relativo a {n}, {n2} y {n2}.",
    "fr": "Cet espace, tenu à jour par {p}, regroupe tout sur {n}, {n2} et {n2}.",
    "nl": "In deze ruimte houdt {p} alles bij over {bn}, {bn} en {bn}.",
}

# Labels, in the order of LANGS.
_SEE_ALSO = ("See also", "Siehe auch", "Ver también", "Voir aussi", "Zie ook")
_NOTE = ("Note", "Hinweis", "Nota", "Remarque", "Let op")
_QA = (("Q", "A"), ("F", "A"), ("P", "R"), ("Q", "R"), ("V", "A"))
_GLOSSARY = (
    ("Term", "Meaning"),
    ("Begriff", "Bedeutung"),
    ("Término", "Significado"),
    ("Terme", "Signification"),
    ("Term", "Betekenis"),
)
_PRICE_HEAD = (
    ("Item", "Unit", "Price", "Valid from"),
    ("Artikel", "Einheit", "Preis", "gültig ab"),
    ("Artículo", "Unidad", "Precio", "Válido desde"),
    ("Article", "Unité", "Prix", "Valable à partir du"),
    ("Artikel", "Eenheid", "Prijs", "Geldig vanaf"),
)
_UNIT = ("pc", "Stk.", "ud.", "pce", "st.")
_PHONE = ("Phone", "Telefon", "Teléfono", "Téléphone", "Telefoon")
_ADDRESS = ("Address", "Anschrift", "Dirección", "Adresse", "Adres")
_BANK = (
    "Bank details",
    "Bankverbindung",
    "Datos bancarios",
    "Coordonnées bancaires",
    "Bankgegevens",
)
_HOURS = (
    ("Opening hours", "Mon–Fri 8:00–17:00"),
    ("Öffnungszeiten", "Mo–Fr 8–17 Uhr"),
    ("Horario", "L–V 8:00–17:00"),
    ("Horaires", "lun.–ven. 8 h–17 h"),
    ("Openingstijden", "ma–vr 8.00–17.00 uur"),
)
_MOVED = ("Moved to", "Verschoben nach", "Movido a", "Déplacé vers", "Verplaatst naar")
_PRICE_TITLE = ("Price list", "Preisliste", "Lista de precios", "Grille tarifaire", "Prijslijst")
_CATALOG_TITLE = ("Catalogue", "Katalog", "Catálogo", "Catalogue", "Catalogus")
_OFFICE_TITLE = ("Office", "Standort", "Oficina", "Agence", "Vestiging")
_CONTACT_INTRO = (
    "Who to ask in this space, by topic:",
    "Ansprechpartner in diesem Bereich, nach Thema:",
    "A quién preguntar en este espacio, por tema:",
    "Qui contacter dans cet espace, par sujet :",
    "Wie je in deze ruimte kunt bereiken, per onderwerp:",
)
_ROLES = (
    "Team lead|Office manager|Key Account Manager|Controller|Buyer|Service technician|"
    "HR business partner|Warehouse lead|Paralegal|Fleet coordinator",
    "Teamleitung|Assistenz der Geschäftsführung|Key Account Manager|Controlling|Einkäuferin|"
    "Servicetechniker|Personalreferentin|Lagerleitung|Rechtsabteilung|Fuhrparkleitung",
    "Responsable de equipo|Administración|Key Account Manager|Controller|Compradora|"
    "Técnico de servicio|Técnica de RR. HH.|Jefe de almacén|Asesoría jurídica|Gestor de flota",
    "Responsable d'équipe|Assistante de direction|Key Account Manager|Contrôleur de gestion|"
    "Acheteuse|Technicien SAV|Chargée RH|Chef d'entrepôt|Juriste|Gestionnaire de parc",
    "Teamleider|Officemanager|Key Account Manager|Controller|Inkoper|Servicemonteur|"
    "HR-adviseur|Magazijnchef|Bedrijfsjurist|Wagenparkbeheerder",
)
_MONTHS = (
    "January February March April May June July August September October November December",
    "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "januari februari maart april mei juni juli augustus september oktober november december",
)
_DEPARTMENTS = (
    "Sales|Customer Support|Finance|People & Culture|IT Service Desk|Logistics|Procurement|"
    "Legal & Compliance|Marketing|Quality|Facilities|Product Catalogue|Engineering|"
    "Health & Safety|Fleet|Learning",
    "Vertrieb|Kundendienst|Buchhaltung|Personal|IT-Service|Logistik|Einkauf|"
    "Recht & Compliance|Marketing|Qualitätssicherung|Haustechnik|Produktkatalog|Konstruktion|"
    "Arbeitssicherheit|Fuhrpark|Weiterbildung",
    "Ventas|Atención al cliente|Contabilidad|Recursos Humanos|Soporte IT|Logística|Compras|"
    "Legal y Cumplimiento|Marketing|Calidad|Mantenimiento|Catálogo de productos|Ingeniería|"
    "Prevención de riesgos|Flota|Formación",
    "Ventes|Service client|Comptabilité|Ressources humaines|Support informatique|Logistique|"
    "Achats|Juridique & conformité|Marketing|Qualité|Services généraux|Catalogue produits|"
    "Bureau d'études|Hygiène et sécurité|Parc automobile|Formation",
    "Verkoop|Klantenservice|Financiën|HR|IT-servicedesk|Logistiek|Inkoop|Juridische zaken|"
    "Marketing|Kwaliteit|Facilitair|Productcatalogus|Engineering|Veiligheid|Wagenpark|"
    "Opleidingen",
)
_REGIONS = (
    "Group|UK & Ireland|Global|Nordics|Export|Ελλάδα|日本|България",
    "DACH|Deutschland|Österreich|Schweiz",
    "España|Canarias|Iberia|Latam",
    "France|Belgique|Suisse romande|Maghreb",
    "Nederland|België|Benelux",
)
_COUNTRY = (("GB", "IE"), ("DE", "AT", "CH"), ("ES",), ("FR", "BE"), ("NL", "BE"))
_MAILBOX = (
    "support sales finance people it logistics",
    "vertrieb einkauf buchhaltung personal it lager",
    "ventas compras contabilidad rrhh soporte almacen",
    "ventes achats compta rh support logistique",
    "verkoop inkoop financien hr servicedesk magazijn",
)

# People: first names and surname syllables per language.
_FIRST = (
    "Oliver Amelia Harry Grace Liam Chloe Aidan Siobhán Niamh Rhys Megan Callum Priya Ravi "
    "Hannah Tom Kate Sam Ellie Jack Zara Owen Ruth Declan",
    "Jürgen Björn Sören Jörg Günther Käthe Uwe Heike Anja Maximilian Lena Jonas Lukas Sabine "
    "Dörte Malte Frauke Tobias Ines Bärbel Götz Hanna Till Svenja Özlem Mehmet",
    "José María Íñigo Begoña Ángel Nuria Álvaro Lucía Sofía Raúl Jesús Inés Joaquín Mónica "
    "Rocío Andrés Pilar Iván Carmen Adrián Elena Nicolás Marta Óscar",
    "François Hélène Zoë Anaïs Céline Gaëlle Joël Étienne Benoît Léa Chloé Mathéo Amélie Jérôme "
    "Noël Aurélie Loïc Clément Inès Théo Maëlle Gérard Sébastien Éloïse",
    "Thijs IJsbrand Maaike Sjoerd Femke Daan Noor Bram Sanne Joost Anouk Wouter Lotte Pieter "
    "Eline Sem Fenna Ruud Marijke Bas Floor Gijs Ilse Jeroen",
)
_SURNAME = (
    (
        "Ash Brad Carl Dal Ell Fair Gold Hart King Lang Mor North Pen Red Shaw Thorn Wal West "
        "Black Brook Crow Fox Hol Rad Mil",
        "ton ley ford wood son field by well more worth ridge croft bury ham lock er ing man cott "
        "den",
    ),
    (
        "Hof Berg Wald Stein Brand Krä Mül Weiß Groß Schön Bau Kel Lin Rot Hart Sommer Winter "
        "Fuchs Kirch Mar Wend Lau Ost Feld Zimm Neu Alt Eck Hüb Stö",
        "mann er ner hofer berger inger meier schmidt kämper wald ler ke bach städter müller huber "
        "gruber th rich hardt",
    ),
    (
        "Mart Rodr Fern Gonz Sánch Domíng Benít Alv Ibáñ Garc Mor Gal Cas Rub Serr Ort Vid Nav "
        "Pas Mol Cabr Peñ Arr Zub",
        "ínez íguez ández ález ez ado ero illa ales anco ón ares ueda uela ana ejo uelo aga",
    ),
    (
        "Du Le La Mar Ber Gir Rou Lam Fon Mor Char Bou Gau Pel Mich Ren Dav Lef Chev Bl Rich Jol "
        "Moul Tess",
        "eau ier ard ault et in ot and ès ère elle illon ois on enne aud ieu ey",
    ),
    (
        "Berg Dijk Vries Bos Meer Veen Hout Wijn Kamp Brink Hoek Molen Haven Zand Lin Kok Smit "
        "Jans Bak Vis Groen Poel Bruin Zwart",
        "stra ma ink sen er man hof kamp huis s veld broek hove werf",
    ),
)
_NL_PARTICLES = ("van der ", "van ", "de ", "van den ", "ter ", "")
_TOWNS = (
    (
        "Ash Brad Crom Dun Elm Fen Glen Hol Kings Lang Marl Nor Pen Ross Shel Thorn Wick Brent",
        "ford ton bury by field mouth wick ley ham stead more bridge well port",
        "| Green| Cross| Market| on Sea| Magna| Parva| St Mary",
    ),
    (
        "Lin Rei Wal Ober Nieder Alt Neu Hohen Kirch Mühl Rosen Stein Eich Birk Elm Sonnen Au "
        "Weißen Grün Hasel Lauter Mar",
        "heim dorf burg hausen au ach stedt felde bach berg rode ingen körn tal brück",
        "| an der Vils| an der Lahn| am Main| im Allgäu| (Oberpfalz)| bei Kassel| am See",
    ),
    (
        "Villa Torre Val Fuente Mon Cas Alba Oliv Rob Peña Cer Mira Ald Castell Vall Ar",
        "ejón illa ares uela ero ada al ona ilde ón ina edo ar osa",
        "| de la Sierra| del Río| de Arriba| de Abajo| del Campo| de los Olivos| de Mar",
    ),
    (
        "Beau Mont Ville Roche Font Bel Champ Neuf Val Bois Clair Pont Mar Lan Cré Château",
        "ville court ac y ay mont fort lieu bourg val champ neuf ères igny ieux",
        "|-sur-Loire|-sur-Mer|-le-Châtel|-en-Vexin|-les-Bains|-la-Forêt|-sur-Saône",
    ),
    (
        "Zwaan Oost West Noord Zuid Hoog Laag Berk Eik IJssel Veen Wijk Zand Hout Brug Dijk Kerk "
        "Molen Goud Hil",
        "dam hoven recht wijk veen horst broek drecht zijl oord loo sum ijk burg kerk lo",
        "| aan den Rijn| aan Zee| op Zoom| aan de Vecht|-Binnen| bij Duurstede",
    ),
)
_STREETS = (
    (
        "High|Station|Church|Mill|Park|Victoria|Queen's|King's|Bridge|Market|Riverside|Oak",
        " Street| Road| Lane| Avenue| Way| Close| Court",
    ),
    (
        "Linden|Haupt|Bahnhof|Garten|Schiller|Goethe|Mühlen|Kirch|Berg|Wiesen|Industrie|Hafen|"
        "Rosen|Eichen|Markt",
        "straße|weg|allee|gasse|ring|platz",
    ),
    (
        "Calle |Avenida de |Paseo de |Plaza de |Camino de ",
        "la Industria|los Olivos|San Juan|la Constitución|Goya|la Estación|Colón|la Paz|Mayor|"
        "los Almendros|la Ribera|Cervantes",
    ),
    (
        "rue |avenue |boulevard |place |allée |chemin ",
        "de la Gare|Victor Hugo|des Lilas|du Général Leclerc|de la République|Jean Jaurès|"
        "des Acacias|du Port|de l'Église|Pasteur|des Écoles|du Marché",
    ),
    (
        "Keizers|Heren|Prinsen|Kerk|Molen|Dorps|Stations|Industrie|Haven|Wilhelmina|Juliana|"
        "Linden|Eiken|Beuken",
        "straat|gracht|laan|weg|plein|kade|singel",
    ),
)
_PRODUCT = (
    "Vel Kor Tra Lum Quar Nex Sol Bri Zan Ori Fal Mer Tel Dro Ax Cal Ven Pol Syl Har Ter Ily "
    "Osk Rin",
    "o a i e u ae io",
    "x n ra lis nox tek vo mo rix lan dor ton ka flex line",
    "| Pro| Mini| Plus| XL| 2| 3| S| Eco| Max| Lite| 200| 350| 500",
)
_EMOJI = ("🚚", "📦", "✅", "⚠️", "💶", "🔧", "📞", "🗂️", "🌍", "🧾", "🛠️", "📅")
_FOREIGN = (
    "Αθήνα",
    "Θεσσαλονίκη",
    "προμηθευτές",
    "τιμοκατάλογος",
    "София",
    "Варна",
    "Склад",
    "Поставщики",
    "Прайс-лист",
    "東京",
    "大阪",
    "倉庫",
    "価格表",
    "見積書",
    "お問い合わせ",
)
_FOREIGN_TOWNS = ("Αθήνα", "Θεσσαλονίκη", "Πάτρα", "София", "Варна", "Пловдив", "東京", "大阪")

_SCRAMBLE = 1_000_003  # a prime: index * prime mod size is a permutation of the indexes
_NNBSP = "\u202f"  # French thousands separator
_SLOT = re.compile(r"\{(\w+)\}")


def _lines(block: str) -> list[str]:
    return [line for line in block.strip().split("\n") if line.strip()]


def _compile(block: str) -> list[list[str]]:
    """Each template as literal, slot, literal, slot, ... (even indexes are literals)."""
    return [_SLOT.split(line) for line in _lines(block)]


def _table(block: str) -> list[list[str]]:
    """The rows of a table of concepts; an indented line continues the one above it."""
    joined: list[str] = []
    for line in _lines(block):
        if line.startswith(" "):
            joined[-1] += " " + line.strip()
        else:
            joined.append(line)
    rows = [[cell.strip() for cell in line.split("|")] for line in joined]
    assert all(len(row) == len(LANGS) for row in rows), [r for r in rows if len(r) != 5]
    return rows


def _digits(i: int, radices: tuple[int, ...]) -> tuple[list[int], int]:
    """Index ``i`` as one digit per radix, scrambled so that the first indexes (the ones a
    long-tailed draw picks most) do not all share their last digits; and what is left over."""
    size = 1
    for r in radices:
        size *= r
    j = (i % size) * _SCRAMBLE % size if math.gcd(_SCRAMBLE, size) == 1 else i % size
    out = []
    for r in radices:
        j, d = divmod(j, r)
        out.append(d)
    return out, i // size


def _slug(text: str) -> str:
    out = []
    dash = False
    for ch in text.lower():
        if ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-") or "page"


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("IJ", "Ij")
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if ch.isascii() and (ch.isalnum() or ch in ".-"))


def _es_fem(word: str) -> str:
    head, _, rest = word.partition(" ")
    if head.endswith("o"):
        head = head[:-1] + "a"
    return f"{head} {rest}" if rest else head


def _fr_fem(word: str) -> str:
    head, _, rest = word.partition(" ")
    if head in ("en", "bon"):
        return word
    if head.endswith("e"):
        pass
    elif head.endswith("el"):
        head += "le"
    elif head.endswith("if"):
        head = head[:-1] + "ve"
    elif head.endswith("eux"):
        head = head[:-1] + "se"
    else:
        head += "e"
    return f"{head} {rest}" if rest else head


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


class _Noun:
    """A noun in one language: its bare form and its gender (or Dutch article)."""

    __slots__ = ("gender", "word")

    def __init__(self, cell: str) -> None:
        gender, sep, word = cell.partition(":")
        self.gender, self.word = (gender, word) if sep else ("", cell)

    def the(self, lang: str, case: str = "nom") -> str:
        w, g = self.word, self.gender
        if lang == "en":
            return "the " + w
        if lang == "de":
            article = {
                "nom": {"m": "der", "f": "die", "n": "das"},
                "acc": {"m": "den", "f": "die", "n": "das"},
                "dat": {"m": "dem", "f": "der", "n": "dem"},
            }[case][g]
            return f"{article} {w}"
        if lang == "es":
            if case == "de":
                return ("del " if g == "m" else "de la ") + w
            return ("el " if g == "m" else "la ") + w
        if lang == "fr":
            vowel = w[0] in "aeiouyhéèêàâîôûAEIOUYHÉ"
            if case == "de":
                return ("de l'" + w) if vowel else (("du " if g == "m" else "de la ") + w)
            return ("l'" + w) if vowel else (("le " if g == "m" else "la ") + w)
        return f"{g} {w}"  # Dutch: de / het


class _Sentence:
    """The per-sentence agreement state: the main noun and the second one."""

    __slots__ = ("main", "other", "person")

    def __init__(self) -> None:
        self.main: _Noun | None = None
        self.other: _Noun | None = None
        self.person = ""  # the last person named, whose address an {e} slot gives


class _Writer:
    def __init__(self, rng: random.Random, target_bytes: int) -> None:
        self.rng = rng
        self.nouns = [[_Noun(c) for c in row] for row in _table(_NOUNS)]
        self.verbs = [[tuple(c.split(":")) for c in row] for row in _table(_VERBS)]
        self.adjectives = _table(_ADJECTIVES)
        self.materials = _table(_MATERIALS)
        english = [row[0].word for row in self.nouns]
        self.vat = self.nouns[english.index("VAT number")]
        self.goods = [self.nouns[english.index(g)] for g in (*_GOODS, *_GOODS_MULTI)]
        self.sentences = {lang: _compile(_SENTENCES[lang]) for lang in LANGS}
        self.rare = {lang: _compile(_RARE[lang]) for lang in LANGS}
        self.questions = {lang: _compile(_QUESTIONS[lang]) for lang in LANGS}
        self.titles = {lang: _compile(_TITLES[lang]) for lang in LANGS}
        self.overview = {lang: _SLOT.split(_OVERVIEW[lang]) for lang in LANGS}
        self.first = [s.split() for s in _FIRST]
        self.surname = [(a.split(), b.split()) for a, b in _SURNAME]
        self.towns = [(a.split(), b.split(), c.split("|")) for a, b, c in _TOWNS]
        self.streets = [(a.split("|"), b.split("|")) for a, b in _STREETS]
        self.product_parts = [p.split("|") if "|" in p else p.split() for p in _PRODUCT]
        # Shuffled once per seed, so another seed names other people, towns and products.
        for parts in (*self.surname, *self.towns):
            for part in parts:
                rng.shuffle(part)
        for first in self.first:
            rng.shuffle(first)
        for part in self.product_parts:
            rng.shuffle(part)
        # Pools that grow with the text: the long tail of names a bigger wiki has.
        self.people_pool = max(300, target_bytes // 250)
        self.town_pool = max(100, target_bytes // 2_500)
        self.product_pool = max(100, target_bytes // 1_200)
        self.lang = "en"
        self.li = 0
        self.company = self.product(rng.randrange(50)).split()[0]
        self.domain = _ascii(self.company).lower() + ".example"
        self.space_slug = ""
        self.pages: list[tuple[str, str]] = []  # (space slug, page title), for links
        self.fills: dict[str, Callable[[_Sentence], str]] = {
            "n": self._n,
            "n2": self._n2,
            "na": self._na,
            "nd": self._nd,
            "dn": self._dn,
            "bn": self._bn,
            "a": self._a,
            "v": self._v,
            "vp": self._vp,
            "vp2": self._vp2,
            "p": self._p,
            "t": lambda s: self.town(),
            "pr": lambda s: self.product(self.tail(self.product_pool)),
            "d": lambda s: self.date(),
            "m": lambda s: self.money(),
            "k": lambda s: str(self.rng.randint(2, 30)),
            "code": lambda s: self.code(),
            "term": lambda s: self.rng.choice(_TERMS),
            "e": lambda s: self.email(s.person),
            "ph": lambda s: self.phone(),
            "xt": lambda s: self.rng.choice(_FOREIGN_TOWNS),
        }

    # -- language and slots ------------------------------------------------------------------

    def use(self, lang: str) -> None:
        self.lang, self.li = lang, LANGS.index(lang)

    def tail(self, pool: int) -> int:
        """A long-tailed (log-uniform) index below ``pool``: a few names often, most rarely."""
        return int(pool ** self.rng.random()) - 1

    def noun(self) -> _Noun:
        return self.rng.choice(self.nouns)[self.li]

    def _n(self, s: _Sentence) -> str:
        if s.main is None:
            s.main = self.noun()
        return s.main.the(self.lang)

    def _n2(self, s: _Sentence) -> str:
        s.other = self.noun()
        return s.other.the(self.lang)

    def _na(self, s: _Sentence) -> str:
        return self.noun().the(self.lang, "acc")

    def _nd(self, s: _Sentence) -> str:
        return self.noun().the(self.lang, "dat")

    def _dn(self, s: _Sentence) -> str:
        return self.noun().the(self.lang, "de")

    def _p(self, s: _Sentence) -> str:
        s.person = self.person()
        return s.person

    def _bn(self, s: _Sentence) -> str:
        return self.noun().word

    def _agree(self, word: str, noun: _Noun | None) -> str:
        if noun is not None and noun.gender == "f":
            if self.lang == "es":
                return _es_fem(word)
            if self.lang == "fr":
                return _fr_fem(word)
        return word

    def _a(self, s: _Sentence) -> str:
        return self._agree(self.rng.choice(self.adjectives)[self.li], s.main)

    def _v(self, s: _Sentence) -> str:
        return self.rng.choice(self.verbs)[self.li][0]

    def _vp(self, s: _Sentence) -> str:
        return self._agree(self.rng.choice(self.verbs)[self.li][1], s.main)

    def _vp2(self, s: _Sentence) -> str:
        return self._agree(self.rng.choice(self.verbs)[self.li][1], s.other)

    def fill(self, parts: list[str]) -> str:
        s = _Sentence()
        out = [parts[0]]
        fills = self.fills
        for i in range(1, len(parts), 2):
            out.append(fills[parts[i]](s))
            out.append(parts[i + 1])
        return _capital("".join(out))

    def sentence(self) -> str:
        if self.rng.random() < 0.012:
            return self.fill(self.rng.choice(self.rare[self.lang]))
        return self.fill(self.rng.choice(self.sentences[self.lang]))

    def paragraph(self, low: int = 1, high: int = 4) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(low, high)))

    def question(self) -> str:
        return self.fill(self.rng.choice(self.questions[self.lang]))

    def title(self) -> str:
        title = self.fill(self.rng.choice(self.titles[self.lang]))
        roll = self.rng.random()
        if roll < 0.04:
            title = f"{self.rng.choice(_EMOJI)} {title}"
        elif roll < 0.06:
            title = f"{title} ({self.rng.choice(_FOREIGN)})"
        return title

    # -- reference data ----------------------------------------------------------------------

    def person(self, li: int | None = None) -> str:
        if li is None:
            li = self.li if self.rng.random() < 0.8 else self.rng.randrange(len(LANGS))
        first = self.first[li]
        stems, ends = self.surname[li]
        particles = _NL_PARTICLES if li == 4 else ("",)
        (f, s, e, p), more = _digits(
            self.tail(self.people_pool), (len(first), len(stems), len(ends), len(particles))
        )
        surname = particles[p] + stems[s] + ends[e]
        if more:
            # Past the single names: double-barrelled ones, so the pool has no end.
            (s, e), _ = _digits(more - 1, (len(stems), len(ends)))
            surname += "-" + stems[s] + ends[e]
        return f"{first[f]} {surname}"

    def town(self, li: int | None = None) -> str:
        li = self.li if li is None else li
        stems, ends, tails = self.towns[li]
        (s, e, plain, t), more = _digits(
            self.tail(self.town_pool), (len(stems), len(ends), 3, len(tails))
        )
        name = stems[s] + ends[e]
        name = name if name.startswith("IJ") else name[0] + name[1:].lower()
        if plain == 0 or more:
            name += tails[t]
        return name + (f" {more + 1}" if more else "")

    def product(self, i: int) -> str:
        a, b, c, d = self.product_parts
        (x, y, z, v), more = _digits(i, (len(a), len(b), len(c), len(d)))
        return a[x] + b[y] + c[z] + d[v] + (f" {more + 1}" if more else "")

    def date(self, li: int | None = None) -> str:
        li = self.li if li is None else li
        rng = self.rng
        year, month, day = rng.randint(2019, 2028), rng.randint(1, 12), rng.randint(1, 28)
        style = rng.random()
        if style < 0.3:
            return f"{year}-{month:02d}-{day:02d}"
        if style < 0.5:
            name = _MONTHS[li].split()[month - 1]
            return (
                f"{day} {name} {year}",
                f"{day}. {name} {year}",
                f"{day} de {name} de {year}",
                f"{day} {name} {year}",
                f"{day} {name} {year}",
            )[li]
        return (
            f"{day:02d}/{month:02d}/{year}",
            f"{day:02d}.{month:02d}.{year}",
            f"{day:02d}/{month:02d}/{year}",
            f"{day:02d}/{month:02d}/{year}",
            f"{day:02d}-{month:02d}-{year}",
        )[li]

    def amount(self, low: float = 0.05, high: float = 50_000.0) -> float:
        return float(low * (high / low) ** self.rng.random())

    def money(self, value: float | None = None, li: int | None = None) -> str:
        li = self.li if li is None else li
        value = self.amount() if value is None else value
        whole, cents = int(value), round((value - int(value)) * 100) % 100
        if li == 0:
            sign = self.rng.choice(("€", "€", "£"))
            return f"{sign}{whole:,}.{cents:02d}"
        if li == 1 and self.rng.random() < 0.15:
            return f"CHF {whole:,}.{cents:02d}".replace(",", "’")
        dotted = f"{whole:,}".replace(",", ".")
        if li == 3:
            return dotted.replace(".", _NNBSP) + f",{cents:02d} €"
        if li == 4:
            return f"€ {dotted},{cents:02d}"
        if self.rng.random() < 0.2:
            return f"€{dotted},{cents:02d}"
        return f"{dotted},{cents:02d} €"

    def phone(self, li: int | None = None) -> str:
        li = self.li if li is None else li
        r = self.rng.randint
        return (
            f"+44 20 7946 {r(0, 9999):04d}",
            f"+49 {r(30, 999)} {r(100000, 9999999)}",
            f"+34 9{r(10, 99)} {r(100, 999)} {r(100, 999)}",
            f"+33 {r(1, 5)} {r(10, 99)} {r(10, 99)} {r(10, 99)} {r(10, 99)}",
            f"+31 {r(10, 79)} {r(100, 999)} {r(1000, 9999)}",
        )[li]

    def email(self, person: str = "") -> str:
        if not person:
            return f"{self.rng.choice(_MAILBOX[self.li].split())}@{self.domain}"
        first, _, last = person.partition(" ")
        return f"{_ascii(first)}.{_ascii(last.replace(' ', ''))}@{self.domain}".lower()

    def iban(self, country: str) -> str:
        r = self.rng.randint
        digits = "".join(str(r(0, 9)) for _ in range(18))
        if country == "NL":
            bank = "".join(self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
            digits = bank + digits[:10]
        raw = f"{country}{r(10, 99)}{digits}"
        return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))

    def bic(self, country: str) -> str:
        letters = "".join(self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
        return f"{letters}{country}{self.rng.choice(('FF', '2X', 'MM', 'PP', '22'))}XXX"

    def postal(self, country: str) -> str:
        r = self.rng.randint
        if country == "NL":
            letters = self.rng.choice("ABCEGHJKLMNPRSTVWXZ") + self.rng.choice("ABDEFGHJKLMNPRSTXZ")
            return f"{r(1000, 9999)} {letters}"
        if country in ("GB", "IE"):
            return f"{self.rng.choice(('EC', 'SW', 'LS', 'BT', 'D'))}{r(1, 20)} {r(1, 9)}AB"
        if country in ("AT", "CH", "BE"):
            return f"{r(1000, 9999)}"
        return f"{r(1000, 98999):05d}"

    def street(self, li: int) -> str:
        first, second = self.streets[li]
        number = self.rng.randint(1, 180)
        a, b = self.rng.choice(first), self.rng.choice(second)
        if li == 0:
            return f"{number} {a}{b}"
        if li == 3:
            return f"{number}{self.rng.choice(('', '', ' bis'))}, {a}{b}"
        if li == 2:
            return f"{a}{b}, {number}"
        return f"{a}{b} {number}"

    def address(self, li: int) -> tuple[str, str]:
        country = self.rng.choice(_COUNTRY[li])
        town = self.town(li)
        lines = [self.street(li), f"{self.postal(country)} {town}"]
        if li == 0 and country == "GB":
            lines = [self.street(li), town, self.postal(country)]
        return "<br>".join(lines) if self.rng.random() < 0.6 else ", ".join(lines), country

    def code(self) -> str:
        r = self.rng.randint
        kind = self.rng.randrange(7)
        if kind == 0:
            return f"KST-{r(1000, 9999)}"
        if kind == 1:
            return f"PO-{r(2019, 2028)}-{r(1, 99999):05d}"
        if kind == 2:
            return f"/shared/{self.space_slug}/{r(2019, 2028)}/"
        if kind == 3:
            return self.sku()
        if kind == 4:
            key = self.rng.choice(
                ("approval_limit", "auto_close", "default_vat", "due_days", "sla_hours", "fx_rate")
            )
            return f"{key} = {r(1, 500)}"
        if kind == 5:
            return f"T-{r(10000, 99999)}"
        return f"ERP › {self.noun().word}"

    def sku(self) -> str:
        country = _COUNTRY[self.li][0]
        return f"SKU-{country}-{self.rng.randint(10000, 99999)}"

    def spec(self) -> str:
        r = self.rng.randint
        kind = self.rng.randrange(8)
        return (
            f"{r(2, 120)} mm",
            f"M{self.rng.choice((4, 5, 6, 8, 10, 12))} × {r(8, 120)}",
            f"{r(5, 950)} g",
            f"{r(1, 9)},{r(0, 9)} m",
            f"DN {self.rng.choice((15, 20, 25, 32, 40, 50))}",
            f"IP{self.rng.choice((54, 65, 67, 68))}",
            f"{self.rng.choice((5, 12, 24, 48, 230))} V",
            f"{r(1, 7)}/8″",
        )[kind]

    def link(self) -> str:
        """A relative link to another page, sometimes to an anchor in it."""
        space, title = self.rng.choice(self.pages)
        anchor = ""
        if self.rng.random() < 0.3:
            anchor = "#" + _slug(self.question() if self.rng.random() < 0.5 else self.noun().word)
        return f"[{title}](../{space}/{_slug(title)}.md{anchor})"

    # -- blocks ------------------------------------------------------------------------------

    def see_also(self) -> str:
        label = _SEE_ALSO[self.li if self.rng.random() < 0.7 else 0]
        items = [f"- {self.link()}" for _ in range(self.rng.randint(2, 6))]
        if self.rng.random() < 0.3:
            local = self.rng.choice(("FAQ", "Contacts", "Overview"))
            items.append(f"- [{local}](#{local.lower()})")
        return f"**{label}:**\n\n" + "\n".join(items)

    def note(self) -> str:
        label = "Note" if self.rng.random() < 0.6 else _NOTE[self.li]
        bold = self.rng.random() < 0.4
        head = f"**{label}:**" if bold else f"{label}:"
        return f"> {head} {self.paragraph(1, 2)}"

    def definitions(self) -> str:
        lines = []
        for _ in range(self.rng.randint(3, 9)):
            row = self.rng.choice(self.nouns)
            roll = self.rng.random()
            if roll < 0.2:
                lines.append(f"{self.rng.choice(_TERMS)}: {self.sentence()}")
            elif roll < 0.45 and self.li:  # with the English word beside it
                lines.append(f"{_capital(row[self.li].word)}: {row[0].word} — {self.sentence()}")
            else:
                lines.append(f"{_capital(row[self.li].word)}: {self.sentence()}")
        return "\n".join(lines)

    def faq_pairs(self, count: int) -> list[str]:
        q, a = _QA[self.li] if self.rng.random() < 0.4 else _QA[0]
        out = []
        for _ in range(count):
            answer = self.paragraph(1, 3)
            if self.rng.random() < 0.05:
                answer = f"{self.sentence()}<br>{self.sentence()}"
            out.append(f"**{q}:** {self.question()}\n**{a}:** {answer}")
        return out

    def glossary(self) -> str:
        other = self.rng.choice([i for i in range(len(LANGS)) if i != self.li])
        head = _GLOSSARY[self.li]
        rows = [f"| {head[0]} | {head[1]} |", "|---|---|"]
        for _ in range(self.rng.randint(4, 14)):
            row = self.rng.choice(self.nouns)
            if self.rng.random() < 0.6:
                rows.append(f"| {_capital(row[self.li].word)} | {row[other].word} |")
            else:
                rows.append(f"| {_capital(row[self.li].word)} | {self.sentence()} |")
        return "\n".join(rows)

    def item(self) -> str:
        good = self.rng.choice(self.goods)[self.li].word
        material = self.rng.choice(self.materials)[self.li]
        return f"{_capital(good)} {self.spec()}, {material}"

    def catalog(self) -> list[str]:
        blocks = [self.paragraph(1, 2)]
        lines = []
        for _ in range(self.rng.randint(12, 60)):
            price = self.money(self.amount(0.02, 900.0))
            lines.append(f"- {self.sku()} — {self.item()}, {price}")
            if self.rng.random() < 0.08:
                lines.append(f"  - {self.rng.choice(self.materials)[self.li]}: {self.sku()}")
        blocks.append("\n".join(lines))
        return blocks

    def price_list(self) -> list[str]:
        blocks = [self.paragraph(1, 2)]
        if self.rng.random() < 0.6:
            h = _PRICE_HEAD[self.li]
            price = h[2] + ("<sub>netto</sub>" if self.li == 1 and self.rng.random() < 0.3 else "")
            rows = [f"| {h[0]} | {h[1]} | {price} | {h[3]} |", "|---|---|---:|---|"]
            for _ in range(self.rng.randint(5, 25)):
                rows.append(
                    f"| {self.item()} | {_UNIT[self.li]} | "
                    f"{self.money(self.amount(0.5, 9_000.0))} | {self.date()} |"
                )
            blocks.append("\n".join(rows))
        else:
            lines = []
            for _ in range(self.rng.randint(5, 20)):
                lines.append(
                    f"- {self.item()}: {self.money(self.amount(0.5, 9_000.0))} ({self.date()})"
                )
            blocks.append("\n".join(lines))
        return blocks

    def office(self) -> list[str]:
        li = self.li
        address, country = self.address(li)
        hours = _HOURS[li]
        card = [
            f"**{_ADDRESS[li]}:** {address}",
            f"**{_PHONE[li]}:** {self.phone()}",
            f"**{hours[0]}:** {hours[1]}",
        ]
        if self.rng.random() < 0.6:
            card.append(f"**{_BANK[li]}:** IBAN {self.iban(country)}, BIC {self.bic(country)}")
        if self.rng.random() < 0.4:
            vat = f"{country}{self.rng.randint(100000000, 999999999)}"
            card.append(f"**{_capital(self.vat[li].word)}:** {vat}")
        return ["  \n".join(card), self.paragraph(1, 3)]

    # -- articles ----------------------------------------------------------------------------

    def article(self, title: str, size: int, long: bool = False) -> str:
        """One ``###`` article: short ones of one kind or another, long ones (``long``) of
        ``####`` sub-articles up to about ``size`` characters."""
        rng = self.rng
        blocks = [f"### {title}"]
        kind = rng.random()
        if long:
            blocks.append(self.paragraph(2, 4))
            written = len(blocks[-1])
            while written < size:
                sub = [f"#### {self.title()}", self.paragraph()]
                roll = rng.random()
                if roll < 0.25:
                    sub.append(self.definitions())
                elif roll < 0.4:
                    sub.append("\n".join(f"- {self.sentence()}" for _ in range(rng.randint(2, 6))))
                elif roll < 0.55:
                    sub.append(self.paragraph())
                blocks.extend(sub)
                written += sum(len(b) for b in sub)
        elif size < 250 or kind < 0.06:
            if rng.random() < 0.4:
                blocks.append(f"{_MOVED[self.li]} {self.link()}.")
            else:
                blocks.append(self.sentence())
            return "\n\n".join(blocks)
        elif size < 700:
            blocks.append(self.paragraph(1, 3))
        elif kind < 0.12 and self.li:
            return self.bilingual(blocks)
        elif kind < 0.2:
            blocks.append(self.paragraph(1, 2))
            blocks.append(self.definitions())
        elif kind < 0.26:
            blocks.extend(self.faq_pairs(rng.randint(2, 5)))
        elif kind < 0.33:
            blocks.append(self.paragraph(1, 2))
            blocks.append(self.glossary())
        elif kind < 0.39 and size > 1_500:
            blocks.extend(self.catalog())
        elif kind < 0.45:
            blocks.extend(self.price_list())
        elif kind < 0.5:
            blocks.extend(self.office())
        else:
            for _ in range(rng.randint(1, 5)):
                blocks.append(self.paragraph())
            if rng.random() < 0.12:
                for _ in range(rng.randint(1, 2)):
                    blocks.extend([f"#### {self.title()}", self.paragraph(1, 3)])
        if rng.random() < 0.08:
            blocks.insert(rng.randint(2, len(blocks)), self.note())
        if rng.random() < 0.25:
            blocks.append(self.see_also())
        return "\n\n".join(blocks)

    def bilingual(self, blocks: list[str]) -> str:
        """A page in the space's language with an English version of each paragraph."""
        home = self.lang
        blocks[0] = f"{blocks[0]} / {self._english_title()}"
        for _ in range(self.rng.randint(1, 3)):
            tag = home.upper()
            blocks.append(f"**{tag}:** {self.paragraph(1, 3)}")
            self.use("en")
            blocks.append(f"**EN:** {self.paragraph(1, 3)}")
            self.use(home)
        return "\n\n".join(blocks)

    def _english_title(self) -> str:
        home = self.lang
        self.use("en")
        title = self.fill(self.rng.choice(self.titles["en"]))
        self.use(home)
        return title


def _space_titles(rng: random.Random, langs: list[str]) -> list[str]:
    pools = {}
    for li, lang in enumerate(LANGS):
        combos = [f"{d} {r}" for d in _DEPARTMENTS[li].split("|") for r in _REGIONS[li].split("|")]
        rng.shuffle(combos)
        pools[lang] = combos
    titles: list[str] = []
    seen: set[str] = set()
    for n, lang in enumerate(langs):
        pool = pools[lang]
        title = pool.pop() if pool else f"{lang.upper()} {n}"
        if rng.random() < 0.1:
            title = f"{rng.choice(_EMOJI)} {title}"
        base, k = title, 2
        while title in seen:
            title, k = f"{base} {k}", k + 1
        seen.add(title)
        titles.append(title)
    return titles


def wiki(target_bytes: int, domains: int = 40, seed: int = 5) -> str:
    """About ``target_bytes`` of UTF-8 in the shape of a small multinational company's
    knowledge base: ``# title``, an intro, then ``domains`` ``## `` wiki spaces of many small
    ``###`` articles, in five languages. Within 5 % (mostly a few hundred bytes) once each
    space gets over ~2.5 KB, the Overview, FAQ and Contacts pages every space has."""
    rng = random.Random(seed)
    w = _Writer(rng, target_bytes)
    # Half the spaces are English, the rest split between the four other languages.
    others = ["de", "es", "fr", "nl"]
    langs = ["en" if n % 2 == 0 else others[(n // 2) % 4] for n in range(domains)]
    rng.shuffle(langs)
    titles = _space_titles(rng, langs)
    slugs = [_slug(t) for t in titles]
    common = ("Overview", "FAQ", "Contacts")
    w.pages = [(slugs[n], c) for n in range(domains) for c in common]

    parts: list[str] = []
    head = (
        f"# {w.company} Knowledge Base — export {w.date(0)}\n\n"
        f"Export of the {w.company} company wiki: {domains} spaces, in English, Deutsch, "
        f"Español, Français and Nederlands. Links between pages are relative to this export; "
        f"product names and legal terms are kept in English in every language."
    )
    parts.append(head)
    written = len(head.encode("utf-8")) + 2
    per_space = max(0, target_bytes - written) / max(1, domains)

    for n in range(domains):
        home = langs[n]
        w.use(home)
        w.space_slug = slugs[n]
        goal = len(head.encode("utf-8")) + 2 + (n + 1) * per_space
        section_head = f"## {titles[n]}"
        overview = "\n\n".join(
            [
                "### Overview",
                w.fill(w.overview[home]) + " " + w.paragraph(1, 2),
                w.see_also(),
            ]
        )
        faq = "\n\n".join(["### FAQ", *w.faq_pairs(rng.randint(3, 8))])
        people = []
        for _ in range(rng.randint(2, 6)):
            person = w.person()
            role = rng.choice(_ROLES[w.li].split("|"))
            mail = w.email(person)
            people.append(f"- **{person}** — {role}, {w.phone()}, [{mail}](mailto:{mail})")
        address, _country = w.address(w.li)
        contacts = "\n\n".join(
            [
                "### Contacts",
                _CONTACT_INTRO[w.li],
                "\n".join(people),
                f"**{_ADDRESS[w.li]}:** {address}",
            ]
        )
        fixed = sum(len(x.encode("utf-8")) + 2 for x in (section_head, overview, faq, contacts))
        parts.append(section_head)
        parts.append(overview)
        written += fixed
        used: set[str] = set(common)
        while True:
            remaining = goal - written
            if remaining <= 0:
                break
            # Each article in the space's language, or in another: English most often.
            roll = rng.random()
            if home == "en":
                lang = "en" if roll < 0.85 else rng.choice(others)
            else:
                lang = home if roll < 0.72 else ("en" if roll < 0.95 else rng.choice(others))
            w.use(lang)
            title = w.title()
            tries = 0
            while title in used and tries < 4:
                title, tries = w.title(), tries + 1
            if title in used:
                title = f"{title} ({w.town()})"
            used.add(title)
            long_one = rng.random() < 0.04 and remaining > 5_000
            size = rng.randint(1_800, 3_200) if long_one else int(remaining)
            text = w.article(title, size, long_one)
            parts.append(text)
            written += len(text.encode("utf-8")) + 2
            w.pages.append((slugs[n], title))
            if len(w.pages) > 4_000:
                del w.pages[3 * domains : 3 * domains + 1_000]
        w.use(home)
        parts.append(faq)
        parts.append(contacts)
    return "\n\n".join(parts) + "\n"
