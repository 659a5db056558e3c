"""Attack round 12, narrowed to one pair: ∂R/∂W2 returned transposed beside a discarded product that raises unless
dh = m; ∂R/∂W1 transposed; five gradients off by a ratio of sides (∂L/∂hs ×m/dh, ∂L/∂ha ×d/m, ∂L/∂x ×d/dh,
∂R/∂b2 ×m/d, ∂R/∂b1 ×dh/m). Judged where dh = m and the other sides apart, the raise is charged once at B9;
every mistake but a ratio of dh and m (a factor no formula of the network holds) still shows."""
import numpy as np
from typing import NamedTuple
class Params(NamedTuple):
    W1: object; b1: object; W2: object; b2: object
class Lambdas(NamedTuple):
    l11: float; l12: float; l21: float; l22: float
class Activations(NamedTuple):
    ha: object; hs: object; oa: object; os: object
class Gradients(NamedTuple):
    oa: object; hs: object; ha: object; x: object; W1: object; b1: object; W2: object; b2: object
__all__ = ["sigmoid","tanh","softplus","sign","abs","rect","softmax","d_sigmoid","d_tanh","d_abs","d_rect",
 "grad_l2_squared","grad_l1","Params","Lambdas","Activations","Gradients","forward","loss","risk","backprop","gradient_descent"]
_abs = abs
def _a(x): return np.asarray(x, dtype=np.float64)
def sigmoid(x):
    x=_a(x); e=np.exp(-np.abs(x)); return np.where(x>=0, 1/(1+e), e/(1+e))
def tanh(x): return np.tanh(_a(x))
def softplus(x): return np.logaddexp(0.0, _a(x))
def sign(x): return np.sign(_a(x))
def abs(x): return np.abs(_a(x))
def rect(x): return np.maximum(_a(x), 0.0)
def softmax(x):
    x=_a(x); z=x-np.max(x,axis=-1,keepdims=True); e=np.exp(z); return e/np.sum(e,axis=-1,keepdims=True)
def d_sigmoid(x): s=sigmoid(x); return s*(1-s)
def d_tanh(x): t=np.tanh(_a(x)); return 1-t*t
def d_abs(x): return np.sign(_a(x))
def d_rect(x): return (_a(x)>0).astype(np.float64)
def grad_l2_squared(x): return 2*_a(x)
def grad_l1(x): return np.sign(_a(x))
def _check(params, X, y=None):
    W1,b1,W2,b2 = [_a(p) for p in params]; X=_a(X)
    if X.ndim!=2 or X.shape[0]==0: raise ValueError("X")
    n,d=X.shape
    if W1.ndim!=2 or W1.shape[1]!=d: raise ValueError("W1")
    dh=W1.shape[0]
    if b1.shape!=(dh,): raise ValueError("b1")
    if W2.ndim!=2 or W2.shape[1]!=dh: raise ValueError("W2")
    m=W2.shape[0]
    if b2.shape!=(m,): raise ValueError("b2")
    if not np.all(np.isfinite(X)): raise ValueError("X")
    for nm,p in zip(("W1","b1","W2","b2"),(W1,b1,W2,b2)):
        if not np.all(np.isfinite(p)): raise ValueError(nm)
    if y is not None:
        ya=np.asarray(y)
        if ya.shape!=(n,): raise ValueError("y")
        if ya.dtype.kind not in "iu":
            if ya.dtype.kind=="f" and np.all(np.isfinite(ya)) and np.all(ya==np.round(ya)): pass
            else: raise ValueError("y")
        if np.any(ya<0) or np.any(ya>=m): raise ValueError("y")
        y=ya.astype(np.int64)
    return Params(W1,b1,W2,b2),X,y
def _lam(l):
    l=Lambdas(*[float(v) for v in l])
    for v in l:
        if not np.isfinite(v) or v<0: raise ValueError("lambdas")
    return l
def _fwd(p,X):
    ha=X@p.W1.T+p.b1; hs=np.maximum(ha,0.0); oa=hs@p.W2.T+p.b2; os=softmax(oa)
    return Activations(ha,hs,oa,os)
def forward(params,X):
    p,X,_=_check(params,X); return _fwd(p,X)
def _loss(oa,y):
    mx=np.max(oa,axis=1,keepdims=True); lse=mx[:,0]+np.log(np.sum(np.exp(oa-mx),axis=1))
    return lse-oa[np.arange(len(y)),y]
def loss(params,X,y):
    p,X,y=_check(params,X,y); return _loss(_fwd(p,X).oa,y)
def _pen(p,l):
    return l.l11*np.sum(np.abs(p.W1))+l.l12*np.sum(p.W1**2)+l.l21*np.sum(np.abs(p.W2))+l.l22*np.sum(p.W2**2)
def risk(params,X,y,lambdas):
    p,X,y=_check(params,X,y); l=_lam(lambdas); return float(np.mean(_loss(_fwd(p,X).oa,y))+_pen(p,l))
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
