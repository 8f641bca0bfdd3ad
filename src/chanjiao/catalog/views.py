from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from chanjiao.core.pages import paginate

from .models import Programme


@login_required
def programme_list(request):
    qs = Programme.objects.select_related("category", "klass", "edition")
    return render(request, "catalog/programme_list.html", {"page_obj": paginate(request, qs)})
