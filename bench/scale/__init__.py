"""`make scale-check`: the API scaled out on this machine (two replicas of two workers, two job
workers, HAProxy in front) and the behaviour that must hold across them (bench/README.md,
"Scale-out")."""
