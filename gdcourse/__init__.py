"""gdcourse: the objectives, update rules, runners, models, data, plots and widgets of the course.

Data flows one way: objective -> optimizer -> runner -> trajectory -> plot -> widget.

``gdcourse.run`` is the runner module and, called, its function: ``gdcourse.run(opt, obj, theta0, steps)``.
Your own rule needs only ``reset()`` and ``step(theta, grad_fn)`` (see :mod:`gdcourse.optimizers`).
"""
from . import checks, datasets, gradcheck, libraries, loops, models, nn, objectives, optimizers, plotting, run, schedules
from .optimizers import (RULES, SGD, AdaMax, Adadelta, Adagrad, Adam, AMSGrad, Momentum, NAG,
                         Nadam, RMSprop, make)
from .run import Trajectory, run_grid, run_many

__version__ = "0.1.0"

__all__ = [
    "checks", "datasets", "gradcheck", "libraries", "loops", "models", "nn", "objectives", "optimizers", "plotting", "run",
    "schedules", "RULES", "SGD", "Momentum", "NAG", "Adagrad", "Adadelta", "RMSprop", "Adam",
    "AdaMax", "Nadam", "AMSGrad", "make", "Trajectory", "run_grid", "run_many",
]
