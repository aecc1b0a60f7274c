require("opts")
