package validate

import "strings"

// activeCurrencies are the alphabetic codes of ISO 4217 List One, the
// currencies and funds in use, as published in 2025: national currencies,
// fund codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals
// and supranational units. XTS (reserved for testing) and XXX (no currency)
// are left out: no amount is paid in them. Withdrawn codes (HRK, MRO, STD,
// VEF, ZWL, ANG…) are not in the list.
const activeCurrencies = `
AED AFN ALL AMD AOA ARS AUD AWG AZN
BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK
DJF DKK DOP DZD
EGP ERN ETB EUR
FJD FKP
GBP GEL GHS GIP GMD GNF GTQ GYD
HKD HNL HTG HUF
IDR ILS INR IQD IRR ISK
JMD JOD JPY
KES KGS KHR KMF KPW KRW KWD KYD KZT
LAK LBP LKR LRD LSL LYD
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN
NAD NGN NIO NOK NPR NZD
OMR
PAB PEN PGK PHP PKR PLN PYG
QAR
RON RSD RUB RWF
SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL
THB TJS TMT TND TOP TRY TTD TWD TZS
UAH UGX USD USN UYI UYU UYW UZS
VED VES VND VUV
WST
XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA
YER
ZAR ZMW ZWG
`

var currencies = func() map[string]bool {
	m := map[string]bool{}
	for _, code := range strings.Fields(activeCurrencies) {
		m[code] = true
	}
	return m
}()

// Currency reports whether code is an active ISO 4217 currency code, in
// capitals like USD.
func Currency(code string) bool { return currencies[code] }
