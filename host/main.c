/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "viv-host.h"

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
serve (int    argc,
       char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("— run local E2B-compatible sandboxes");
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (VivHost) host = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *address = NULL;
  g_autofree char *domain = NULL;
  int port_api = 0, port_sandbox = 0;
  VivHostOptions options = { 0 };
  const GOptionEntry entries[] = {
    { "port-api", 0, 0, G_OPTION_ARG_INT, &port_api,
      "Control-plane port (E2B_API_URL); 0 picks a free one", "PORT" },
    { "port-sandbox", 0, 0, G_OPTION_ARG_INT, &port_sandbox,
      "Sandbox traffic port (E2B_SANDBOX_URL); 0 picks a free one", "PORT" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
      "Where the API key, sandboxes and templates live", "DIR" },
    { "address", 0, 0, G_OPTION_ARG_STRING, &address,
      "Address to listen on (default 127.0.0.1: loopback only)", "IP" },
    { "domain", 0, 0, G_OPTION_ARG_STRING, &domain,
      "The domain reported to SDKs (default localhost)", "DOMAIN" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    goto fail;

  if (port_api < 0 || port_api > 65535 || port_sandbox < 0 || port_sandbox > 65535)
    {
      g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "Ports go from 0 to 65535");
      goto fail;
    }

  options.state_dir = state_dir;
  options.address = address;
  options.domain = domain;
  options.port_api = (guint16) port_api;
  options.port_sandbox = (guint16) port_sandbox;

  host = viv_host_new (&options, &error);
  if (host == NULL || !viv_host_start (host, &error))
    goto fail;

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);

  /* Sandboxes keep running; the next host adopts them. */
  viv_host_stop (host);
  return EXIT_SUCCESS;

fail:
  g_printerr ("vivarium-host: %s\n", error->message);
  return EXIT_FAILURE;
}

/* Prints the environment for E2B's SDKs, from the running host's discovery
 * file and the key file it points at. */
static int
print_env (void)
{
  g_autofree char *path = viv_host_discovery_path ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *key = NULL;
  JsonObject *object;
  const char *key_file;

  if (!json_parser_load_from_file (parser, path, &error))
    {
      g_printerr ("vivarium-host: no running host (%s): start `vivarium-host serve`\n",
                  error->message);
      return EXIT_FAILURE;
    }

  object = JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))
           ? json_node_get_object (json_parser_get_root (parser)) : NULL;
  key_file = object ? json_object_get_string_member_with_default (object, "api_key_file", NULL)
                    : NULL;
  if (key_file == NULL || !g_file_get_contents (key_file, &key, NULL, &error))
    {
      g_printerr ("vivarium-host: %s names no readable API key file\n", path);
      return EXIT_FAILURE;
    }

  g_print ("export E2B_API_URL=%s\n", json_object_get_string_member (object, "api_url"));
  g_print ("export E2B_SANDBOX_URL=%s\n", json_object_get_string_member (object, "sandbox_url"));
  g_print ("export E2B_DOMAIN=%s\n", json_object_get_string_member (object, "domain"));
  g_print ("export E2B_API_KEY=%s\n", g_strstrip (key));
  return EXIT_SUCCESS;
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");

  if (argc >= 2 && g_str_equal (argv[1], "serve"))
    return serve (argc - 1, argv + 1);
  if (argc == 2 && g_str_equal (argv[1], "env"))
    return print_env ();
  if (argc == 2 && g_str_equal (argv[1], "--version"))
    {
      g_print ("vivarium-host %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  g_printerr ("Usage: vivarium-host serve [--port-api N] [--port-sandbox N] [--state-dir DIR]\n"
              "       vivarium-host env\n");
  return EXIT_FAILURE;
}
