"""Countries, time zones and the generator-only weights attached to them.

Country codes and IANA time zones come from ``seeds/country_regions.csv`` (the single
source of truth shared with dbt). Everything else here (share of users per country,
platform mix, Faker locale, a short list of real cities) only shapes the synthetic data.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from engagement.settings import PROJECT_DIR

DEFAULT_SEED_CSV = PROJECT_DIR / "seeds" / "country_regions.csv"

#: Share of the user base signing up from each country (renormalised over the seed).
COUNTRY_WEIGHTS: dict[str, float] = {
    "US": 25.0, "BR": 8.0, "IN": 7.0, "GB": 6.0, "DE": 5.0, "FR": 4.5, "MX": 4.5,
    "JP": 4.0, "KR": 3.0, "CA": 3.5, "ES": 3.0, "IT": 3.0, "AU": 2.5, "TR": 2.0,
    "ID": 2.0, "PH": 1.8, "PL": 1.5, "NL": 1.5, "AR": 1.5, "CO": 1.3, "SE": 1.0,
    "EG": 1.0, "NG": 1.0, "ZA": 1.0, "SA": 1.0, "TH": 1.2, "CL": 0.8, "NZ": 0.5,
}

#: Platform mix (web, mobile, tv) of primary devices per country; others use DEFAULT.
PLATFORM_MIX_DEFAULT: tuple[float, float, float] = (0.25, 0.40, 0.35)
PLATFORM_MIX: dict[str, tuple[float, float, float]] = {
    "US": (0.20, 0.30, 0.50), "GB": (0.20, 0.30, 0.50), "CA": (0.22, 0.33, 0.45),
    "AU": (0.22, 0.35, 0.43), "NZ": (0.22, 0.35, 0.43), "DE": (0.28, 0.32, 0.40),
    "FR": (0.28, 0.35, 0.37), "NL": (0.28, 0.34, 0.38), "SE": (0.25, 0.33, 0.42),
    "JP": (0.20, 0.50, 0.30), "KR": (0.15, 0.60, 0.25),
    "IN": (0.08, 0.82, 0.10), "ID": (0.07, 0.85, 0.08), "PH": (0.07, 0.85, 0.08),
    "NG": (0.08, 0.86, 0.06), "EG": (0.12, 0.75, 0.13), "TH": (0.10, 0.75, 0.15),
}

#: Plan mix (basic, standard, premium) per country; others use DEFAULT.
PLAN_MIX_DEFAULT: tuple[float, float, float] = (0.35, 0.45, 0.20)
PLAN_MIX: dict[str, tuple[float, float, float]] = {
    "US": (0.25, 0.47, 0.28), "GB": (0.28, 0.47, 0.25), "CH": (0.20, 0.45, 0.35),
    "DE": (0.30, 0.47, 0.23), "JP": (0.30, 0.45, 0.25), "KR": (0.30, 0.45, 0.25),
    "AU": (0.28, 0.46, 0.26), "IN": (0.60, 0.32, 0.08), "ID": (0.55, 0.35, 0.10),
    "PH": (0.55, 0.35, 0.10), "NG": (0.60, 0.32, 0.08), "EG": (0.55, 0.35, 0.10),
    "BR": (0.45, 0.40, 0.15), "MX": (0.45, 0.40, 0.15), "CO": (0.50, 0.38, 0.12),
}

#: Faker locale used for names and e-mail domains per country.
FAKER_LOCALE: dict[str, str] = {
    "US": "en_US", "CA": "en_CA", "MX": "es_MX", "BR": "pt_BR", "AR": "es_AR",
    "CO": "es_CO", "CL": "es_CL", "GB": "en_GB", "DE": "de_DE", "FR": "fr_FR",
    "ES": "es_ES", "IT": "it_IT", "NL": "nl_NL", "SE": "sv_SE", "PL": "pl_PL",
    "TR": "tr_TR", "EG": "ar_EG", "NG": "yo_NG", "ZA": "zu_ZA", "SA": "ar_SA",
    "IN": "en_IN", "JP": "ja_JP", "KR": "ko_KR", "ID": "id_ID", "PH": "fil_PH",
    "TH": "th_TH", "AU": "en_AU", "NZ": "en_NZ",
}

#: Real cities per country (first ones are bigger: drawn with decreasing weight).
CITIES: dict[str, tuple[str, ...]] = {
    "US": ("New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Philadelphia",
           "San Antonio", "San Diego", "Dallas", "Seattle", "Denver", "Boston",
           "Coeur d'Alene"),
    "CA": ("Toronto", "Montréal", "Vancouver", "Calgary", "Edmonton", "Ottawa",
           "Québec City", "St. John's"),
    "MX": ("Ciudad de México", "Guadalajara", "Monterrey", "Puebla", "Tijuana",
           "León", "Mérida"),
    "BR": ("São Paulo", "Rio de Janeiro", "Brasília", "Salvador", "Fortaleza",
           "Belo Horizonte", "Manaus", "Curitiba", "Recife", "Porto Alegre"),
    "AR": ("Buenos Aires", "Córdoba", "Rosario", "Mendoza", "La Plata", "Tucumán"),
    "CO": ("Bogotá", "Medellín", "Cali", "Barranquilla", "Cartagena"),
    "CL": ("Santiago", "Valparaíso", "Concepción", "Antofagasta", "Viña del Mar"),
    "GB": ("London", "Birmingham", "Manchester", "Glasgow", "Leeds", "Liverpool",
           "Edinburgh", "Bristol", "King's Lynn"),
    "DE": ("Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Stuttgart",
           "Düsseldorf", "Leipzig"),
    "FR": ("Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes", "Strasbourg",
           "Villeneuve-d'Ascq"),
    "ES": ("Madrid", "Barcelona", "Valencia", "Sevilla", "Zaragoza", "Málaga", "Bilbao"),
    "IT": ("Roma", "Milano", "Napoli", "Torino", "Palermo", "Genova", "Bologna",
           "L'Aquila"),
    "NL": ("Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven",
           "'s-Hertogenbosch"),
    "SE": ("Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås"),
    "PL": ("Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Gdańsk"),
    "TR": ("İstanbul", "Ankara", "İzmir", "Bursa", "Antalya"),
    "EG": ("Cairo", "Alexandria", "Giza", "Shubra El Kheima", "Port Said"),
    "NG": ("Lagos", "Kano", "Ibadan", "Abuja", "Port Harcourt"),
    "ZA": ("Johannesburg", "Cape Town", "Durban", "Pretoria", "Port Elizabeth"),
    "SA": ("Riyadh", "Jeddah", "Mecca", "Medina", "Dammam"),
    "IN": ("Mumbai", "Delhi", "Bengaluru", "Hyderabad", "Ahmedabad", "Chennai",
           "Kolkata", "Pune", "Jaipur"),
    "JP": ("Tokyo", "Yokohama", "Osaka", "Nagoya", "Sapporo", "Fukuoka", "Kobe"),
    "KR": ("Seoul", "Busan", "Incheon", "Daegu", "Daejeon"),
    "ID": ("Jakarta", "Surabaya", "Bandung", "Medan", "Semarang"),
    "PH": ("Quezon City", "Manila", "Davao City", "Cebu City", "Zamboanga City"),
    "TH": ("Bangkok", "Nonthaburi", "Chiang Mai", "Hat Yai", "Pattaya"),
    "AU": ("Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide", "Canberra"),
    "NZ": ("Auckland", "Wellington", "Christchurch", "Hamilton", "Tauranga"),
}

#: Countries whose network makes startup and rebuffering worse (QoE multiplier).
QOE_FACTOR: dict[str, float] = {
    "IN": 1.6, "ID": 1.5, "PH": 1.5, "NG": 1.8, "EG": 1.5, "TH": 1.2, "TR": 1.2,
    "BR": 1.2, "CO": 1.2, "ZA": 1.3, "SA": 1.1, "MX": 1.15, "AR": 1.15,
}


@dataclass(frozen=True)
class Geo:
    """Per-country arrays aligned on ``codes`` (the seed order)."""

    codes: tuple[str, ...]
    time_zones: tuple[str, ...]
    weights: np.ndarray          # float64, sums to 1
    platform_mix: np.ndarray     # (n_countries, 3)
    plan_mix: np.ndarray         # (n_countries, 3)
    qoe_factor: np.ndarray       # (n_countries,)
    city_names: tuple[str, ...]  # all cities, concatenated per country
    city_start: np.ndarray       # (n_countries,) index of a country's first city
    city_count: np.ndarray       # (n_countries,)

    @property
    def n(self) -> int:
        """Number of countries."""
        return len(self.codes)


def load_geo(path: Path | str | None = None) -> Geo:
    """Read the country seed and attach the generator weights to it."""
    seed_path = Path(path) if path else DEFAULT_SEED_CSV
    with open(seed_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    codes = tuple(r["country_code"] for r in rows)
    zones = tuple(r["time_zone"] for r in rows)
    weights = np.array([COUNTRY_WEIGHTS.get(c, 0.3) for c in codes], dtype=np.float64)
    weights /= weights.sum()
    platform = np.array([PLATFORM_MIX.get(c, PLATFORM_MIX_DEFAULT) for c in codes])
    plan = np.array([PLAN_MIX.get(c, PLAN_MIX_DEFAULT) for c in codes])
    qoe = np.array([QOE_FACTOR.get(c, 1.0) for c in codes])
    names: list[str] = []
    start, count = [], []
    for c in codes:
        cities = CITIES.get(c, (c,))
        start.append(len(names))
        count.append(len(cities))
        names.extend(cities)
    return Geo(codes, zones, weights, platform / platform.sum(1, keepdims=True),
               plan / plan.sum(1, keepdims=True), qoe, tuple(names),
               np.array(start, dtype=np.int32), np.array(count, dtype=np.int32))


def utc_offsets_minutes(geo: Geo, start_date: dt.date, days: int) -> np.ndarray:
    """UTC offset in minutes per (country, day, UTC hour), DST-correct via zoneinfo."""
    out = np.zeros((geo.n, days, 24), dtype=np.int32)
    base = dt.datetime(start_date.year, start_date.month, start_date.day, tzinfo=dt.timezone.utc)
    for ci, zone in enumerate(geo.time_zones):
        tz = ZoneInfo(zone)
        for d in range(days):
            for h in range(24):
                off = (base + dt.timedelta(days=d, hours=h)).astimezone(tz).utcoffset()
                out[ci, d, h] = int(off.total_seconds() // 60) if off else 0
    return out
