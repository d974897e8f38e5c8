extends SceneTree
## The Godot addon, in the engine: run headless by bindings/godot/run-tests.sh,
##     godot --headless --path PROJECT --script res://test.gd
## against the development collector at $HAMUSTRO_COLLECTOR_URL (secret $HAMUSTRO_SECRET).
## Prints "ok - NAME" or "not ok - NAME: DETAIL" per check and "expect KEY=VALUE" for what
## the collector must have received (checked by tests/engine.rs), and exits 0 only when
## every check passed.

var passed := 0
var failed := 0
var logged: Array = []
var delivery_failures: Array = []


func check(name: String, ok: bool, detail: Variant = "") -> void:
	if ok:
		passed += 1
		print("ok - ", name)
	else:
		failed += 1
		print("not ok - ", name, ": ", detail)


func on_main_thread() -> bool:
	return OS.get_thread_caller_id() == OS.get_main_thread_id()


func _initialize() -> void:
	run.call_deferred()


func settings(client_id: String, url: String) -> Dictionary:
	return {
		"collector_url": url,
		"shared_secret_key": OS.get_environment("HAMUSTRO_SECRET"),
		"device_id": "godot-device-1",
		"client_id": client_id,
	}


## Waits for up to `seconds` for `done` to return true, letting frames run.
func wait_until(done: Callable, seconds: float) -> bool:
	var deadline := Time.get_ticks_msec() + int(seconds * 1000)
	while not done.call() and Time.get_ticks_msec() < deadline:
		await process_frame
	return done.call()


func run() -> void:
	var url := OS.get_environment("HAMUSTRO_COLLECTOR_URL")
	check("the collector URL is given", url.begins_with("http://127.0.0.1:"), url)
	check("the extension registered the Hamustro class", ClassDB.class_exists("Hamustro"))
	if not ClassDB.class_exists("Hamustro"):
		quit(1)
		return
	for script in ["example.gd", "analytics.gd", "plugin.gd"]:
		var loaded: Script = load("res://addons/hamustro/" + script)
		check("the addon's %s compiles" % script, loaded != null and loaded.can_instantiate())
	var h: Node = ClassDB.instantiate("Hamustro")
	root.add_child(h)
	h.set_log_level(3)
	h.log_message.connect(func(level: int, message: String) -> void:
		logged.append([level, message, on_main_thread()]))

	# Before configure: an error code and a message, no crash.
	check("a call before configure is ERR_UNCONFIGURED", h.track_event("early") == ERR_UNCONFIGURED)
	check("its message says what to do", "configure" in h.last_error, h.last_error)
	check("the default flush timeout is 2 s", is_equal_approx(h.flush_timeout, 2.0), h.flush_timeout)

	# Bad options: the code, and a message naming the option.
	var bad := settings("com.hamustro.godot-tests", url)
	bad["queue_size"] = "twenty"
	var error: int = h.configure(bad)
	check("an option of the wrong type is ERR_INVALID_PARAMETER", error == ERR_INVALID_PARAMETER, error_string(error))
	check("its message names the option and the type", "queue_size" in h.last_error and "int" in h.last_error, h.last_error)
	bad = settings("com.hamustro.godot-tests", url)
	bad["no_such_option"] = 1
	error = h.configure(bad)
	check("an unknown option is ERR_INVALID_PARAMETER", error == ERR_INVALID_PARAMETER, error_string(error))
	check("its message names it", "no_such_option" in h.last_error, h.last_error)
	error = h.configure(settings("com.hamustro.godot-tests", "ftp://127.0.0.1"))
	check("a collector URL the library refuses is ERR_INVALID_PARAMETER", error == ERR_INVALID_PARAMETER, error_string(error))
	check("the library's message says why", "collector" in h.last_error.to_lower() or "url" in h.last_error.to_lower(), h.last_error)
	bad = settings("com.hamustro.godot-tests", url)
	bad["database_path"] = "user://a.sqlite3"
	bad["database_directory"] = "user://queues"
	error = h.configure(bad)
	check("a database path and directory both is ERR_INVALID_PARAMETER", error == ERR_INVALID_PARAMETER, error_string(error))
	check("its message names both", "database_path" in h.last_error and "database_directory" in h.last_error, h.last_error)
	check("a failed configure leaves the node unconfigured", not h.is_configured())

	# Configured with Godot's defaults.
	var good := settings("com.hamustro.godot-tests", url)
	good["queue_size"] = 1000 # nothing is sent before flush()
	error = h.configure(good)
	check("configure succeeds", error == OK, "%s: %s" % [error_string(error), h.last_error])
	check("a success clears last_error", h.last_error == "", h.last_error)
	check("the node is configured", h.is_configured())
	var path: String = h.get_database_path()
	check("the database is under user://", path.begins_with(OS.get_user_data_dir().path_join("hamustro")), path)
	check("the database is named as the library names it", path.get_file() == "com_hamustro_godot-tests-%s.sqlite3" % "com.hamustro.godot-tests".sha256_text().left(16), path)
	print("expect product_version=", ProjectSettings.get_setting("application/config/version"))
	print("expect system=", OS.get_name())
	print("expect system_version=", OS.get_version())
	print("expect locale=", OS.get_locale())

	check("set_user", h.set_user("játékos-42", "csapat-7") == OK, h.last_error)
	check("set_global_parameter", h.set_global_parameter("build", "éjszakai") == OK, h.last_error)
	check("set_global_parameter(null) removes", h.set_global_parameter("removed", 1) == OK and h.set_global_parameter("removed", null) == OK, h.last_error)
	check("set_headers", h.set_headers({"X-Godot-Test": "igen"}) == OK, h.last_error)
	check("track_event with parameters of several types", h.track_event("szint_kész", {
		"pálya": "Erdő 🌲",
		"score": 1234,
		"ratio": 0.5,
		"perfect": true,
		"nothing": null,
		"pos": Vector2i(3, 4),
		"tags": ["a", "b"],
		&"name": &"Ünnep",
	}) == OK, h.last_error)
	check("track_event without parameters", h.track_event("app_start") == OK, h.last_error)
	error = h.track_event("")
	check("an empty event name is ERR_INVALID_PARAMETER", error == ERR_INVALID_PARAMETER, error_string(error))
	check("its message says so", h.last_error != "", h.last_error)

	# Disabled: nothing stored, not an error.
	check("set_enabled(false)", h.set_enabled(false) == OK and not h.is_enabled())
	check("tracking while disabled is OK", h.track_event("while_disabled") == OK, h.last_error)
	check("set_enabled(true)", h.set_enabled(true) == OK and h.is_enabled())

	error = h.flush(10.0)
	check("flush delivers", error == OK, "%s: %s" % [error_string(error), h.last_error])
	var stats: Dictionary = h.get_stats()
	check("get_stats: nothing queued", stats.get("queued") == 0, stats)
	check("get_stats: two delivered", stats.get("delivered") == 2, stats)
	check("get_stats: no error", stats.get("last_error") == "" and stats.get("last_error_code") == OK, stats)
	check("get_stats: last_sync is a time", typeof(stats.get("last_sync")) == TYPE_INT and stats.get("last_sync") > 1700000000, stats)
	check("get_stats: enabled", stats.get("enabled") == true, stats)

	# A close request flushes, bounded by flush_timeout.
	check("track_event before a close request", h.track_event("window_closing", {"reason": "close request"}) == OK, h.last_error)
	h.notification(Node.NOTIFICATION_WM_CLOSE_REQUEST)
	stats = h.get_stats()
	check("a close request flushed", stats.get("queued") == 0 and stats.get("delivered") == 3, stats)
	check("discard_queued returns a count", h.discard_queued() == 0, h.last_error)

	# A collector nobody listens on: flush fails, and delivery_failed arrives on the main thread.
	# A script extending the class, with its own _ready and _process.
	var offline: Node = load("res://extended.gd").new()
	root.add_child(offline)
	offline.delivery_failed.connect(func(code: int, message: String, failures: int) -> void:
		delivery_failures.append([code, message, failures, on_main_thread()]))
	var dead := settings("com.hamustro.godot-tests.offline", "http://127.0.0.1:9")
	dead["queue_size"] = 1000
	dead["request_timeout_ms"] = 2000
	check("configure a tracker of an unreachable collector", offline.configure(dead) == OK, offline.last_error)
	offline.track_event("lost_in_space")
	error = offline.flush(3.0)
	check("a failed flush is ERR_CANT_CONNECT or ERR_TIMEOUT", error == ERR_CANT_CONNECT or error == ERR_TIMEOUT, error_string(error))
	check("its message is in last_error", offline.last_error != "", offline.last_error)
	await wait_until(func() -> bool: return delivery_failures.size() > 0, 5.0)
	check("delivery_failed was emitted, to a script with its own _ready and _process", delivery_failures.size() > 0)
	check("that script's _process ran too", offline.frames > 0, offline.frames)
	if delivery_failures.size() > 0:
		var failure: Array = delivery_failures[0]
		check("delivery_failed carries ERR_CANT_CONNECT", failure[0] == ERR_CANT_CONNECT, failure)
		check("delivery_failed carries a message and a count", failure[1] != "" and failure[2] >= 1, failure)
		check("delivery_failed was emitted on the main thread", failure[3], failure)
	offline.close()
	check("a closed node is unconfigured", offline.track_event("after_close") == ERR_UNCONFIGURED)
	offline.queue_free()

	# Log messages, emitted from _process on the main thread.
	await wait_until(func() -> bool: return logged.size() > 0, 2.0)
	check("log_message was emitted", logged.size() > 0)
	check("every log_message came on the main thread", logged.all(func(entry: Array) -> bool: return entry[2]), logged)
	check("log messages never carry a user id or a parameter",
		logged.all(func(entry: Array) -> bool: return not ("játékos" in entry[1] or "Erdő" in entry[1])), logged)

	h.close()
	h.queue_free()
	print("gdscript: %d passed, %d failed" % [passed, failed])
	quit(0 if failed == 0 else 1)
