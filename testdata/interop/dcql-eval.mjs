// Evaluates DCQL queries with the dcql library: reads {cases: [{query, credentials}]} on stdin,
// writes [{satisfied, matches: {id: [input indexes]}} | {invalid: true}] to stdout.
import { DcqlQuery } from 'dcql'

const input = JSON.parse(await new Promise((resolve) => {
  let s = ''
  process.stdin.on('data', (d) => { s += d })
  process.stdin.on('end', () => resolve(s))
}))

const out = input.cases.map(({ query, credentials }) => {
  let q
  try {
    q = DcqlQuery.parse(query)
    DcqlQuery.validate(q)
  } catch {
    return { invalid: true }
  }
  const r = DcqlQuery.query(q, credentials)
  const matches = {}
  for (const [id, m] of Object.entries(r.credential_matches)) {
    matches[id] = (m.valid_credentials ?? []).map((c) => c.input_credential_index)
  }
  return { satisfied: r.can_be_satisfied, matches }
})
process.stdout.write(JSON.stringify(out))
