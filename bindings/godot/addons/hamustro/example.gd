extends Hamustro
## A scene-free example: use it as an autoload (Project Settings → Globals → Autoload,
## name "Analytics") and every scene can call Analytics.track_event(...).

func _ready() -> void:
	# Library messages and delivery failures, on the main thread.
	set_log_level(2) # errors and warnings
	log_message.connect(func(level: int, message: String) -> void: print("hamustro [%d] %s" % [level, message]))
	delivery_failed.connect(func(code: int, message: String, failures: int) -> void:
		print("delivery failed (%s, %d in a row): %s" % [error_string(code), failures, message]))

	var error := configure({
		"collector_url": "https://t.example.com",
		"shared_secret_key": "the secret your collector was given",
		"device_id": OS.get_unique_id(),
		"client_id": "com.example.mygame",
		# Left out, Godot's values: product_version (application/config/version), system
		# and system_version (OS.get_name(), OS.get_version()), system_language and country
		# (OS.get_locale()), database_path (under user://). Everything else: the library's.
	})
	if error != OK:
		push_error("analytics off: %s (%s)" % [last_error, error_string(error)])
		return
	track_event("game_started", {"level": 1, "mode": "story"})


func _exit_tree() -> void:
	# What is not delivered stays queued on disk and goes out on the next launch.
	flush(1.0)
