"""Money (``Decimal`` + ISO-4217 currency) and Credits (non-negative ``int``). No floats."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import attrs

from travelcore.kernel.errors import ValidationFailed

_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
_TWO_DECIMALS = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR "
    "FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW "
    "KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN "
    "NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD "
    "SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS "
    "VED VES WST XCD XCG YER ZAR ZMW ZWG"
)

#: ISO-4217 currency code -> number of minor-unit digits.
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMALS.split(), 2),
    **dict.fromkeys(_ZERO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
    **dict.fromkeys(_FOUR_DECIMALS.split(), 4),
}


#: Every amount's magnitude stays below this bound (so it fits every adapter's storage).
MAX_AMOUNT = Decimal(10) ** 12


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool | float):
        raise ValidationFailed("amount", "decimal_not_float", "money amounts must not be floats")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationFailed("amount", "decimal", f"{value!r} is not a decimal amount") from exc
    if not result.is_finite():
        raise ValidationFailed("amount", "finite", "money amounts must be finite")
    return result


def _check_currency(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or value not in MINOR_UNITS:
        raise ValidationFailed("currency", "iso_4217", f"{value!r} is not an ISO-4217 currency")


@attrs.frozen(order=False)
class Money:
    """An exact amount in one currency. Arithmetic across currencies raises ``ValidationFailed``."""

    amount: Decimal = attrs.field(converter=_to_decimal)
    currency: str = attrs.field(validator=_check_currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        """``Money.of("12.5", "EUR")`` is 12.50 EUR: an exact amount written to the currency's
        minor unit. A finer amount (``"12.505"``) or one out of range is refused, never rounded
        (see :meth:`exact`)."""
        exact = cls(_to_decimal(amount), currency).exact()
        quantum = Decimal(1).scaleb(-exact.minor_units)
        return Money(exact.amount.quantize(quantum), exact.currency)

    def exact(self, field: str = "amount") -> Money:
        """This amount, if it is a whole number of the currency's minor units (0 decimals for
        JPY, 2 for USD, 3 for KWD) with a magnitude below :data:`MAX_AMOUNT`; otherwise
        ``ValidationFailed(field, "minor_units" | "range")``."""
        if abs(self.amount) >= MAX_AMOUNT:
            raise ValidationFailed(field, "range", f"{field} must stay below {MAX_AMOUNT}")
        if self.amount != self.amount.quantize(Decimal(1).scaleb(-self.minor_units)):
            raise ValidationFailed(
                field,
                "minor_units",
                f"{self.amount} {self.currency} is finer than the currency's minor unit "
                f"({self.minor_units} decimals)",
            )
        return self

    @property
    def minor_units(self) -> int:
        return MINOR_UNITS[self.currency]

    def rounded(self, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Round to the currency's minor unit (banker's rounding unless told otherwise)."""
        quantum = Decimal(1).scaleb(-self.minor_units)
        return Money(self.amount.quantize(quantum, rounding=rounding), self.currency)

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValidationFailed(
                "currency",
                "same_currency",
                f"cannot combine {self.currency} with {other.currency}",
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise TypeError("Money can only be multiplied by an int or a Decimal")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.rounded().amount} {self.currency}"


def exact_money(_: object, attribute: attrs.Attribute[Any], value: Money | None) -> None:
    """An attrs validator: a Money field (or ``None``) must be :meth:`Money.exact`."""
    if value is not None:
        if not isinstance(value, Money):
            raise ValidationFailed(attribute.name, "money", f"{attribute.name} must be Money")
        value.exact(attribute.name)


def total(amounts: Iterable[Money], currency: str) -> Money:
    """Sum ``amounts``, all of which must be in ``currency`` (an empty sum is zero)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


class Credits(int):
    """A non-negative whole number of credits."""

    def __new__(cls, value: int, field: str = "credits") -> Credits:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationFailed(field, "integer", f"{field} must be an integer")
        if value < 0:
            raise ValidationFailed(field, "non_negative", f"{field} must not be negative")
        return super().__new__(cls, value)


def positive_credits(value: int, field: str = "credits") -> Credits:
    """``value`` as Credits, refusing zero as well as negatives."""
    credits = Credits(value, field)
    if credits == 0:
        raise ValidationFailed(field, "positive", f"{field} must be greater than zero")
    return credits
