extends Hamustro
## A script over the class with its own _ready and _process, as an app's autoload has:
## the node's signals must still arrive (test.gd's unreachable-collector node).

var frames := 0


func _ready() -> void:
	frames = 0


func _process(_delta: float) -> void:
	frames += 1
