declare module 'parse-prometheus-text-format' {
  /** prom2json-shaped families. */
  export default function parse(text: string): { name: string; help: string; type: string; metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }[] }[];
}
