// Calendar features: time of day and day of week as sin/cos pairs (so 23:55 is next to
// 00:00), and public holidays from date-holidays for the configured country/region.
// Times are taken in UTC: the model only needs a consistent phase, and UTC has no DST jumps.
import Holidays from 'date-holidays';

const DAY = 86400;
const TWO_PI = 2 * Math.PI;

export interface CalendarFeatures {
  todSin: number;
  todCos: number;
  dowSin: number;
  dowCos: number;
}

export function calendarAt(ts: number): CalendarFeatures {
  const tod = (((ts % DAY) + DAY) % DAY) / DAY;
  // 1970-01-01 was a Thursday; shift so Monday = 0
  const dow = (((Math.floor(ts / DAY) + 3) % 7) + 7) % 7;
  return {
    todSin: Math.sin(TWO_PI * tod),
    todCos: Math.cos(TWO_PI * tod),
    dowSin: Math.sin((TWO_PI * dow) / 7),
    dowCos: Math.cos((TWO_PI * dow) / 7),
  };
}

/** Public holidays of one country (and region), cached per day. */
export class HolidayCalendar {
  private readonly hd: Holidays;
  private readonly cache = new Map<number, boolean>();

  constructor(
    readonly country = 'NL',
    readonly region?: string,
  ) {
    const hd = new Holidays();
    const known = hd.getCountries() as Record<string, string> | undefined;
    if (!known || !(country.toUpperCase() in known)) {
      throw new Error(`forecast.country: ${JSON.stringify(country)} is not a country date-holidays knows (e.g. NL, DE, US)`);
    }
    if (region !== undefined) {
      const regions = (hd.getStates(country) ?? {}) as Record<string, string>;
      if (!(region.toUpperCase() in regions)) {
        throw new Error(`forecast.region: ${JSON.stringify(region)} is not a region of ${country} (known: ${Object.keys(regions).join(', ') || 'none'})`);
      }
    }
    this.hd = region !== undefined ? new Holidays(country, region) : new Holidays(country);
  }

  /** 1 if the day containing `ts` is a public holiday, else 0. */
  isHoliday(ts: number): number {
    const day = Math.floor(ts / DAY);
    let v = this.cache.get(day);
    if (v === undefined) {
      // noon UTC lies inside the local calendar day for every European timezone
      const found = this.hd.isHoliday(new Date((day * DAY + DAY / 2) * 1000));
      v = Array.isArray(found) && found.some((h) => h.type === 'public');
      this.cache.set(day, v);
    }
    return v ? 1 : 0;
  }
}
