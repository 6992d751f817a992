// Shopify sends money as decimal strings ("199.00") in the shop currency; Orderhub keeps integer minor
// units. The conversion is the domain's (a CSV import reads amounts the same way).
export { currencyExponent, MoneyFormatError, toDecimal, toMinorUnits } from '../../domain/money';
