// Meetup times for the live screens: shown in Europe/Amsterdam, Dutch style ("do 3 dec 2026, 19:30–21:00").
import type { Language } from '../../api/types';

const TZ = 'Europe/Amsterdam';

function parts(iso: string, locale: string, opts: Intl.DateTimeFormatOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of new Intl.DateTimeFormat(locale, { timeZone: TZ, ...opts }).formatToParts(new Date(iso))) out[p.type] = p.value;
  return out;
}

/** "do 3 dec 2026, 19:30–21:00" (nl) or "Thu 3 Dec 2026, 19:30–21:00" (en); a second date when it ends another day. */
export function meetupWhen(startsAt: string, endsAt: string, lang: Language): string {
  const locale = lang === 'nl' ? 'nl-NL' : 'en-GB';
  const dayOpts: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' };
  const day = (iso: string) => {
    const p = parts(iso, locale, dayOpts);
    return `${p.weekday.replace(/\.$/, '')} ${p.day} ${p.month.replace(/\.$/, '')} ${p.year}`;
  };
  const time = (iso: string) => {
    const p = parts(iso, locale, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    return `${p.hour}:${p.minute}`;
  };
  const sameDay = day(startsAt) === day(endsAt);
  return sameDay ? `${day(startsAt)}, ${time(startsAt)}–${time(endsAt)}` : `${day(startsAt)}, ${time(startsAt)} – ${day(endsAt)}, ${time(endsAt)}`;
}
