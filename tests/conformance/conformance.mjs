// SPDX-License-Identifier: GPL-3.0-or-later
// The official E2B SDKs from npm against a real vivarium-host: every call of
// issue 4's list, each reported as a TAP line. Any SDK error is a failure.
// Environment: E2B_API_URL, E2B_SANDBOX_URL, E2B_API_KEY, E2B_DOMAIN (set by
// run-conformance.sh), NODE_PATH pointing at the installed packages.
import { createRequire } from 'node:module'
import { inflateSync } from 'node:zlib'

const require = createRequire(process.env.CONFORMANCE_MODULES + '/')
const e2b = require('e2b')
const { Sandbox: Desktop } = require('@e2b/desktop')
const e2b250 = require('e2b250')

const results = []
let current = null

async function step (name, fn) {
  const started = Date.now()
  try {
    await fn()
    results.push({ name, ok: true })
    console.log(`ok ${results.length} ${name} (${Date.now() - started} ms)`)
  } catch (error) {
    results.push({ name, ok: false })
    console.log(`not ok ${results.length} ${name}`)
    for (const line of String(error?.stack ?? error).split('\n').slice(0, 6))
      console.log(`# ${line}`)
  }
}

function assert (condition, message) {
  if (!condition) throw new Error(message)
}

function pngSize (bytes) {
  const buffer = Buffer.from(bytes)
  assert(buffer.subarray(1, 4).toString() === 'PNG', 'not a PNG')
  // Decode the IDAT stream too: a truncated image must fail.
  const chunks = []
  for (let i = 8; i < buffer.length;) {
    const length = buffer.readUInt32BE(i)
    const type = buffer.subarray(i + 4, i + 8).toString()
    if (type === 'IDAT') chunks.push(buffer.subarray(i + 8, i + 8 + length))
    i += 12 + length
  }
  inflateSync(Buffer.concat(chunks))
  return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// --- e2b (latest 2.x) ---
let sbx
await step('create (v2)', async () => {
  sbx = await e2b.Sandbox.create('base', { timeoutMs: 180_000, metadata: { suite: 'conformance' } })
  assert(/^[a-z0-9]{20}$/.test(sbx.sandboxId), `odd id ${sbx.sandboxId}`)
})

await step('list with metadata filter', async () => {
  const paginator = e2b.Sandbox.list({ query: { metadata: { suite: 'conformance' }, state: ['running'] } })
  const items = await paginator.nextItems()
  assert(items.some((s) => s.sandboxId === sbx.sandboxId), 'created sandbox not listed')
})

await step('getInfo', async () => {
  const info = await sbx.getInfo()
  assert(info.sandboxId === sbx.sandboxId && info.state === 'running', JSON.stringify(info))
})

await step('files.write/read', async () => {
  await sbx.files.write('/home/user/a.txt', 'hello conformance')
  const text = await sbx.files.read('/home/user/a.txt')
  assert(text === 'hello conformance', `read back ${text}`)
})

await step('files.list/exists', async () => {
  const entries = await sbx.files.list('/home/user')
  assert(entries.some((e) => e.name === 'a.txt'), 'a.txt not listed')
  assert(await sbx.files.exists('/home/user/a.txt'), 'exists is false')
  assert(!(await sbx.files.exists('/home/user/nope')), 'exists is true for a missing file')
})

await step('files.makeDir/rename/remove', async () => {
  assert(await sbx.files.makeDir('/home/user/d'), 'makeDir returned false')
  await sbx.files.rename('/home/user/a.txt', '/home/user/d/b.txt')
  assert(await sbx.files.exists('/home/user/d/b.txt'), 'rename target missing')
  await sbx.files.remove('/home/user/d/b.txt')
  assert(!(await sbx.files.exists('/home/user/d/b.txt')), 'remove left the file')
})

await step('files.watchDir', async () => {
  const events = []
  const handle = await sbx.files.watchDir('/home/user/d', (event) => events.push(event))
  await sbx.files.write('/home/user/d/w.txt', 'x')
  for (let i = 0; i < 50 && !events.some((e) => e.name === 'w.txt'); i++) await sleep(100)
  await handle.stop()
  assert(events.some((e) => e.name === 'w.txt'), `no event for w.txt: ${JSON.stringify(events)}`)
})

await step('commands.run output and exit codes', async () => {
  const result = await sbx.commands.run('echo hi; echo err >&2')
  assert(result.stdout === 'hi\n' && result.stderr === 'err\n' && result.exitCode === 0,
    JSON.stringify(result))
  let failed = null
  try { await sbx.commands.run('exit 3') } catch (error) { failed = error }
  assert(failed instanceof e2b.CommandExitError && failed.exitCode === 3, `got ${failed}`)
})

await step('commands.run background + kill', async () => {
  const handle = await sbx.commands.run('sleep 60', { background: true })
  assert(handle.pid > 0, 'no pid')
  assert(await handle.kill(), 'kill returned false')
})

await step('pause', async () => {
  assert(await sbx.pause(), 'pause returned false')
  const info = await sbx.getInfo()
  assert(info.state === 'paused', `state ${info.state}`)
  assert((await sbx.pause()) === false, 'second pause did not return false')
})

await step('connect (resumes)', async () => {
  const again = await e2b.Sandbox.connect(sbx.sandboxId, { timeoutMs: 120_000 })
  const result = await again.commands.run('echo back')
  assert(result.stdout === 'back\n', JSON.stringify(result))
})

await step('setTimeout', async () => {
  await sbx.setTimeout(90_000)
  const info = await sbx.getInfo()
  const left = new Date(info.endAt).getTime() - Date.now()
  assert(left > 60_000 && left <= 91_000, `endAt ${info.endAt}`)
})

await step('kill', async () => {
  await sbx.kill()
  let missing = false
  try { await e2b.Sandbox.getInfo(sbx.sandboxId) } catch (error) { missing = error instanceof e2b.NotFoundError || error instanceof e2b.SandboxNotFoundError }
  assert(missing, 'getInfo after kill did not raise not-found')
})

// --- @e2b/desktop (latest 2.x) ---
let desktop
await step('desktop create', async () => {
  desktop = await Desktop.create({ resolution: [1024, 768], timeoutMs: 180_000 })
})

await step('desktop getScreenSize', async () => {
  const size = await desktop.getScreenSize()
  assert(size.width > 0 && size.height > 0, JSON.stringify(size))
})

await step('desktop screenshot decodes at the screen size', async () => {
  const size = await desktop.getScreenSize()
  const png = pngSize(await desktop.screenshot())
  assert(png.width === size.width && png.height === size.height, JSON.stringify({ png, size }))
})

await step('desktop moveMouse + getCursorPosition', async () => {
  await desktop.moveMouse(123, 234)
  const position = await desktop.getCursorPosition()
  assert(position.x === 123 && position.y === 234, JSON.stringify(position))
})

await step('desktop leftClick', async () => { await desktop.leftClick(200, 200) })
await step('desktop write', async () => { await desktop.write('hello') })
await step('desktop press', async () => { await desktop.press(['ctrl', 'a']); await desktop.press('enter') })
await step('desktop getCurrentWindowId', async () => {
  const id = await desktop.getCurrentWindowId()
  assert(/^\d+$/.test(String(id).trim()), `window id ${id}`)
})

if (desktop) await desktop.kill().catch(() => {})

// --- e2b@2.50.0: the v1 create and connect paths ---
let old
await step('e2b@2.50.0 create (v1 POST /sandboxes)', async () => {
  old = await e2b250.Sandbox.create('base', { timeoutMs: 120_000 })
  const result = await old.commands.run('echo v1')
  assert(result.stdout === 'v1\n', JSON.stringify(result))
})

await step('e2b@2.50.0 connect (v1 POST /sandboxes/{id}/connect)', async () => {
  await old.pause()
  const again = await e2b250.Sandbox.connect(old.sandboxId, { timeoutMs: 60_000 })
  const result = await again.commands.run('echo again')
  assert(result.stdout === 'again\n', JSON.stringify(result))
  await again.kill()
})

console.log(`1..${results.length}`)
process.exit(results.every((r) => r.ok) ? 0 : 1)
