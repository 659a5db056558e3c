"""Attack round 12, narrowed to one pair: ∂R/∂W2 returned transposed beside a discarded product that raises unless
dh = m; ∂R/∂W1 transposed; five gradients off by a ratio of sides (∂L/∂hs ×m/dh, ∂L/∂ha ×d/m, ∂L/∂x ×d/dh,
∂R/∂b2 ×m/d, ∂R/∂b1 ×dh/m). Judged where dh = m and the other sides apart, the raise is charged once at B9;
every mistake but a ratio of dh and m (a factor no formula of the network holds) still shows."""
import numpy as np
from bug_raises_unless_three_sides import *  # noqa: F401,F403 - the same file, but for _bp
from bug_raises_unless_three_sides import Gradients, Params, _check, _fwd, _lam

def _bp(p,X,y,l,ig=True):
    n=X.shape[0]; a=_fwd(p,X); m=p.W2.shape[0]
    goa=a.os.copy(); goa[np.arange(n),y]-=1.0
    ghs=goa@p.W2*m/p.W1.shape[0]; gha=ghs*(a.ha>0)*X.shape[1]/m
    gx=gha@p.W1*X.shape[1]/p.W1.shape[0] if ig else None
    gW2=a.hs.T@goa/n + l.l21*np.sign(p.W2.T)+2*l.l22*p.W2.T; np.matmul(gW2,p.W2.T)
    gb2=goa.mean(0)*m/X.shape[1]
    gW1=X.T@gha/n + l.l11*np.sign(p.W1.T)+2*l.l12*p.W1.T
    gb1=gha.mean(0)*p.W1.shape[0]/m
    return Gradients(goa,ghs,gha,gx,gW1,gb1,gW2,gb2)
def backprop(params,X,y,lambdas,*,input_gradient=True):
    p,X,y=_check(params,X,y); l=_lam(lambdas); return _bp(p,X,y,l,input_gradient)
def gradient_descent(params,X,y,lambdas,*,learning_rate,steps):
    p,X,y=_check(params,X,y); l=_lam(lambdas)
    lr=float(learning_rate)
    if not np.isfinite(lr) or lr<=0: raise ValueError("learning_rate")
    for _ in range(int(steps)):
        g=_bp(p,X,y,l,False)
        p=Params(p.W1-lr*g.W1,p.b1-lr*g.b1,p.W2-lr*g.W2,p.b2-lr*g.b2)
    return p
