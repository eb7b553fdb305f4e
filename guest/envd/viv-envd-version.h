/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The envdVersion the guest reports. The E2B SDKs switch features on it
 * (shared/spec/e2b-wire.md §2.6, js src/envd/versions.ts), so it must be the
 * highest version whose features BOTH the plain HTTP API (viv-envd-http.c,
 * viv-envd-files*.c) and the Connect-RPC services implement. Raise it only
 * when every gate up to the new value is marked done below.
 *
 *   gate    feature                          side   status
 *   0.1.0   minimum                          both   done
 *   0.1.4   recursive WatchDir               rpc    done
 *   0.1.5   GET /metrics                     http   done
 *   0.2.4   disk_used/disk_total in metrics  http   done
 *   0.3.0   Start `stdin` flag               rpc    done
 *   0.4.0   no default username "user"       both   done (http: `username` optional,
 *                                                   the /init defaultUser applies)
 *   0.5.2   CloseStdin                       rpc    done
 *   0.5.7   POST /files octet-stream (+gzip) http   done
 *   0.6.2   file metadata                    both   http done: X-Metadata-<k> headers
 *                                                   become user.<k> xattrs and come back
 *                                                   as "metadata" in the upload answer;
 *                                                   EntryInfo.metadata reads them back
 *   0.6.3   WatchDir includeEntry            rpc    done
 *   0.6.4   WatchDir allowNetworkMounts      rpc    done
 *
 * Every gate up to 0.6.4 is served (tests/guest/envd-http, tests/guest/envd-rpc).
 * Upstream envd is at 0.6.13; nothing the SDKs gate above 0.6.4 is claimed. */
#define VIV_ENVD_VERSION "0.6.4"
