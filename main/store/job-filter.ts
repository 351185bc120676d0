/** The filters of a job list as SQL: shared by the window's history and `GET /jobs`. */
import type { ListJobsQuery } from './store.js';

/** The WHERE terms and parameters of a job list: by state, lane, source, and before a cursor id. */
export function jobFilter(query: Omit<ListJobsQuery, 'limit'>): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of [
    ['state', query.state],
    ['lane', query.lane],
    ['source', query.source],
  ] as const) {
    if (!value) continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  if (query.before) {
    where.push('id < ?');
    params.push(query.before);
  }
  return { where, params };
}
