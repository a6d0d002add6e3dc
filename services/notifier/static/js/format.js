// How values read on the page: times, durations, places, scores and the words for codes.

const dateTime = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "short",
});
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export function when(iso) {
  if (!iso) return "unknown time";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

export function day(iso) {
  if (!iso) return "unknown date";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateOnly.format(d);
}

/** "3 h 20 min", "2 days 4 h", "45 s" for a duration in milliseconds (sign ignored). */
export function duration(ms) {
  let s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  let m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  let hrs = Math.floor(m / 60);
  m %= 60;
  if (hrs < 48) return m ? `${hrs} h ${m} min` : `${hrs} h`;
  const days = Math.floor(hrs / 24);
  hrs %= 24;
  return hrs ? `${days} days ${hrs} h` : `${days} days`;
}

export function ago(iso, now = Date.now()) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? "" : `${duration(now - t)} ago`;
}

/** The review deadline as the user needs it: how long is left, or how long it is overdue. */
export function deadline(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return { text: "no deadline", overdue: false };
  const left = t - now;
  return left >= 0
    ? { text: `review due in ${duration(left)}`, overdue: false, soon: left < 2 * 3600e3 }
    : { text: `review overdue by ${duration(left)}`, overdue: true };
}

export function score(value) {
  return typeof value === "number" ? value.toFixed(2) : "–";
}

export function km(value) {
  if (typeof value !== "number") return null;
  return value >= 100 ? `${Math.round(value).toLocaleString()} km` : `${value.toFixed(1)} km`;
}

export function days(value) {
  if (typeof value !== "number") return null;
  if (Math.abs(value) < 1) return `${Math.round(value * 24)} h`;
  return `${value.toFixed(1)} days`;
}

export function place(seen) {
  const loc = seen && seen.location;
  if (!loc) return "place unknown";
  const name = loc.place || `${loc.lat.toFixed(3)}, ${loc.lon.toFixed(3)}`;
  return loc.country ? `${name}, ${loc.country}` : name;
}

const WORDS = {
  missing_protected: "Missing, to be protected",
  missing: "Missing",
  abduction_risk: "At risk of abduction",
  exploitation_risk: "At risk of exploitation",
  unaccompanied_migrant: "Unaccompanied migrant",
  sighting: "Sighting",
  registration: "Registration",
  estimated: "estimated",
  exact: "exact",
  unknown: "unknown",
};

/** A code as words: known ones from the table, others with underscores as spaces. */
export function words(code) {
  if (code === null || code === undefined || code === "") return "";
  const text = String(code);
  if (WORDS[text]) return WORDS[text];
  const spaced = text.replace(/_/g, " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

const SIGNALS = {
  name: "Name",
  given_name: "Given name",
  family_name: "Family name",
  father_name: "Father's name",
  mother_name: "Mother's name",
  parents_names: "Parents' names",
  birth: "Birth date / age",
  birth_date: "Birth date / age",
  sex: "Sex",
  nationality: "Nationality",
  language: "Language",
  place_time: "Place and time",
  space_time: "Place and time",
  name_rarity: "Name rarity",
  distinguishing_marks: "Distinguishing marks",
};

export function signalName(signal) {
  return SIGNALS[signal] || words(signal);
}

// The correlator's comparison levels, in a reviewer's words.
const LEVELS = {
  full: "given and family names agree",
  full_fuzzy: "names agree in another spelling",
  single: "one name agrees",
  partial: "names agree in part",
  given_conflict: "given names differ",
  none: "no name in common",
  agree: "agree",
  close: "close",
  in_name: "found within the child's name",
  disagree: "disagree",
  confusable: "often confused nationalities",
  exact: "same birth date",
  within_year: "within a year",
  compatible: "ages compatible",
  mild_conflict: "ages differ somewhat",
  strong_conflict: "ages differ strongly",
  same_area: "same area",
  easy_reach: "within easy reach in the time",
  fast_reach: "reachable only by fast travel",
  impossible: "too far for the time between them",
  before_last_seen: "observed before the child was last seen",
  missing: "not recorded on one side",
};

export function levelText(detail) {
  return LEVELS[detail] || detail;
}
