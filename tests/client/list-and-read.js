// SPDX-License-Identifier: GPL-3.0-or-later
// Lists the local host's sandboxes and reads a file from one, through the
// Viv-1 typelib. Usage: gjs list-and-read.js DISCOVERY_FILE SANDBOX_ID PATH
imports.gi.versions.Viv = '1';
const { GLib, Viv } = imports.gi;
const System = imports.system;

const [discovery, sandboxId, path] = ARGV;
const loop = new GLib.MainLoop(null, false);
let status = 1;

function fail(error) {
    printerr(`error: ${error.message}`);
    loop.quit();
}

const account = Viv.Account.new_for_local_host(discovery);
account.lookup_api_key_async(null, (acc, res) => {
    try {
        const client = Viv.Client.new(acc, acc.lookup_api_key_finish(res));
        client.list_sandboxes_async(Viv.SandboxStateFlags.ANY, null, null, (c, r) => {
            try {
                const sandboxes = c.list_sandboxes_finish(r);
                print(`sandboxes: ${sandboxes.length}`);
                const sandbox = sandboxes.find(s => s.id === sandboxId);
                if (!sandbox)
                    throw new Error(`sandbox ${sandboxId} is not listed`);
                print(`state: ${sandbox.state === Viv.SandboxState.RUNNING ? 'running' : sandbox.state}`);
                const files = Viv.Files.new(sandbox);
                files.read_bytes_async(path, null, (f, r2) => {
                    try {
                        const bytes = f.read_bytes_finish(r2);
                        print(`content: ${new TextDecoder().decode(bytes.toArray())}`);
                        status = 0;
                        loop.quit();
                    } catch (e) {
                        fail(e);
                    }
                });
            } catch (e) {
                fail(e);
            }
        });
    } catch (e) {
        fail(e);
    }
});
loop.run();
System.exit(status);
